# Sourced by scripts/test, scripts/demo and .ci/run: find a CPython that salesbot supports.
# Keep SUPPORTED_PYTHONS in step with requires-python in pyproject.toml (newest first).
SUPPORTED_PYTHONS="3.13 3.12 3.11"

# python_for VERSION: print the path of a CPython VERSION that really runs, or fail.
# A name on PATH is not enough: pyenv's shims exist for every installed version but
# refuse to run one that is not selected, so each candidate is asked for its version.
# pyenv's own installs are looked at too (newest patch release first).
python_for() {
  local version="$1" candidate
  local -a found=()
  candidate="$(command -v "python$version" 2>/dev/null || true)"
  [ -n "$candidate" ] && found+=("$candidate")
  while IFS= read -r candidate; do
    found+=("$candidate")
  done < <(ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$version".*/bin/"python$version" 2>/dev/null | sort -rV)
  for candidate in "${found[@]}"; do
    if [ -x "$candidate" ] &&
      [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$version" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# pick_python: SALESBOT_PYTHON if set, else the newest supported version on the machine,
# else `python3` when its version fits; otherwise one line saying what to install, and fail.
pick_python() {
  local version
  if [ -n "${SALESBOT_PYTHON:-}" ]; then
    version="$("$SALESBOT_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
    case " $SUPPORTED_PYTHONS " in
      *" $version "*) echo "$SALESBOT_PYTHON"; return 0 ;;
    esac
    echo "SALESBOT_PYTHON=$SALESBOT_PYTHON is Python ${version:-?}; salesbot runs on Python ${SUPPORTED_PYTHONS// /, }" >&2
    return 1
  fi
  for version in $SUPPORTED_PYTHONS; do
    python_for "$version" && return 0
  done
  version="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
  case " $SUPPORTED_PYTHONS " in
    *" $version "*) command -v python3; return 0 ;;
  esac
  echo "salesbot needs Python 3.11, 3.12 or 3.13 (python3 here: ${version:-none}); install one, e.g. 'sudo apt-get install python3 python3-venv' on Debian 13 / Ubuntu 24.04, 'brew install python@3.13', or 'pyenv install 3.13'" >&2
  return 1
}
