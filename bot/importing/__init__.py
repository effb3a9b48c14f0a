"""Reading spreadsheets for ``salesbot import`` (the domain side is ``domain.services.importing``)."""
