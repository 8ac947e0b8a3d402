#!/bin/sh
# Creates bench/.venv-eval with pytrec_eval (the reference implementation of trec_eval's measures) and numpy,
# used by Tests/VecDBTests/Fixtures/eval/make_metrics_golden.py and bench/eval/*.py. The venv is git-ignored.
set -eu
cd "$(dirname "$0")/.."
python3 -m venv .venv-eval
.venv-eval/bin/pip install -q pytrec_eval-terrier numpy
.venv-eval/bin/python -c 'import pytrec_eval, numpy; print("pytrec_eval ok")'
