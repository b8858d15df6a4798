# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: run test install

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo
	$(PY) manage.py runserver $(HOST)

test: $(VENV)/.installed
	PY=$(PY) bash scripts/test.sh

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# For developers: refresh the Vietnamese catalogue after changing strings, then translate and compile.
.PHONY: messages
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l vi --no-obsolete --ignore=.venv --ignore=tests --ignore=bench --ignore=staticfiles --ignore=scripts
	$(PY) manage.py compilemessages -l vi --ignore=.venv
