#!/usr/bin/env python3
"""Writes significance_reference.json: scipy's (and ranx's, statsmodels') answers on per-query score arrays, for
SignificanceTests to hold vecdb's own implementations against.

    python3 -m venv .venv-eval && .venv-eval/bin/pip install scipy numpy ranx statsmodels
    .venv-eval/bin/python Tests/VecDBTests/Fixtures/eval/make_significance_reference.py

Cases: per-query nDCG@10 of the committed SciFact subset's two runs (comparison_expected.json), the 300 per-query
deltas of minilm+adapter over minilm on the full SciFact test split (scifact_minilm_adapter_deltas.json, from
`vecdb eval --compare`; a = 0, b = delta, since every test uses only b - a), and synthetic
nDCG-like arrays (values in [0, 1], many exact 0s and 1s and ties, as real per-query scores have) of 12, 50 and 300
queries with no, a small and a large difference. Per case, with d = b - a:
- "p_ttest": scipy.stats.ttest_rel(b, a), two-sided;
- "p_randomization": the paired sign-flip test with statistic |mean(d)|; exact (all 2^n sign patterns, scipy's
  permutation_test enumerates them) when n <= 16, else scipy.stats.permutation_test with 200,000 resamples (so
  its own Monte-Carlo error, at most 0.0011, is small next to vecdb's at 10,000), and "exact" says which;
- "ci95": scipy.stats.bootstrap((d,), np.mean, method="percentile", n_resamples=100,000);
Resamples are drawn in batches of 10,000, so memory stays near 30 MB whatever the counts.
- "ranx": ranx's Fisher randomization and t-test p-values, for information.
Also Student-t tails (scipy.stats.t.sf) and regularized incomplete beta values (scipy.special.betainc) on a grid, and
Holm-corrected p-values (statsmodels multipletests, method "holm").
"""
import json
import os

import numpy as np
from scipy import special, stats

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240517)


def ndcg_like(n, shift):
    """Per-query scores of two systems: b is a plus a shift and noise, both clipped to [0, 1], with exact ties."""
    a = np.where(rng.random(n) < 0.25, 0.0, np.where(rng.random(n) < 0.3, 1.0, rng.random(n)))
    b = np.clip(a + shift + rng.normal(0, 0.25, n), 0, 1)
    b = np.where(rng.random(n) < 0.3, a, b)  # queries where both rank the relevant documents the same
    return np.round(a, 6), np.round(b, 6)


cases = []
expected = json.load(open(os.path.join(here, "comparison_expected.json")))
queries = sorted(expected["per_query"])
cases.append(("scifact-mini minilm vs smollm2:mean:raw",
              [expected["ndcg_at_10"]["minilm"][q] for q in queries],
              [expected["ndcg_at_10"]["smollm2-mean-raw"][q] for q in queries]))
full = json.load(open(os.path.join(here, "scifact_minilm_adapter_deltas.json")))["per_query"]
cases.append(("scifact test minilm vs minilm+adapter", [0.0] * len(full), [full[q] for q in sorted(full)]))
for n, shift in [(12, 0.15), (50, 0.0), (50, 0.08), (300, 0.02), (300, 0.15)]:
    a, b = ndcg_like(n, shift)
    cases.append((f"synthetic n={n} shift={shift}", a.tolist(), b.tolist()))

try:
    from ranx.statistical_tests import fisher_randomization_test, paired_student_t_test
except ImportError:
    fisher_randomization_test = paired_student_t_test = None

out_cases = []
for name, a, b in cases:
    a, b = np.array(a), np.array(b)
    d = b - a
    exact = len(d) <= 16
    test = stats.permutation_test((d,), lambda x, axis: np.abs(np.mean(x, axis=axis)), permutation_type="samples",
                                  vectorized=True, n_resamples=np.inf if exact else 200_000, batch=10_000,
                                  alternative="greater", random_state=np.random.default_rng(1))
    ci = stats.bootstrap((d,), np.mean, method="percentile", n_resamples=100_000, batch=10_000, confidence_level=0.95,
                         random_state=np.random.default_rng(2)).confidence_interval
    case = {"name": name, "a": a.tolist(), "b": b.tolist(), "p_ttest": float(stats.ttest_rel(b, a).pvalue),
            "p_randomization": float(test.pvalue), "exact": exact, "ci95": [float(ci.low), float(ci.high)]}
    if fisher_randomization_test:
        case["ranx"] = {"fisher": float(fisher_randomization_test(a, b, n_permutations=20_000, max_p=0.05,
                                                                  random_seed=42)[0]),
                        "t_test": float(paired_student_t_test(a, b, max_p=0.05)[0])}
    out_cases.append(case)

t_tails = [{"t": t, "df": df, "p": float(2 * stats.t.sf(abs(t), df))}
           for df in [1, 2, 2.5, 9, 29, 299, 10_000] for t in [0.0, 0.1, 0.7, 1.96, 2.5, 4.0, 12.0, -3.1]]
betainc = [{"x": x, "a": a, "b": b, "value": float(special.betainc(a, b, x))}
           for a, b in [(0.5, 0.5), (1, 3), (5, 0.5), (149.5, 0.5), (20, 30)] for x in [0.001, 0.1, 0.5, 0.9, 0.999]]

holm_inputs = [[0.01, 0.04, 0.03, 0.2], [0.001, 0.5, 0.0499], [0.3], [0.02, 0.02, 0.5]]
try:
    from statsmodels.stats.multitest import multipletests
    holm = [{"p": p, "adjusted": multipletests(p, method="holm")[1].tolist()} for p in holm_inputs]
except ImportError:
    holm = []

with open(os.path.join(here, "significance_reference.json"), "w") as f:
    json.dump({"cases": out_cases, "t_tails": t_tails, "betainc": betainc, "holm": holm}, f, indent=1)
    f.write("\n")
for case in out_cases:
    print(case["name"], case["p_ttest"], case["p_randomization"], case["ci95"], case.get("ranx"))
