"""Every Python snippet in README.md runs (or is the tested one from docs/scale_out.md)."""

import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNIPPETS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
DOC_SNIPPETS = re.findall(
    r"```python\n(.*?)```", (ROOT / "docs" / "scale_out.md").read_text(), flags=re.S
)


def test_readme_has_the_sections_snippets():
    assert len(SNIPPETS) == 5


@pytest.mark.parametrize("index", [0, 1, 2], ids=["scikit-learn", "river", "pytorch"])
def test_readme_snippet_runs(index, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the short fits
        exec(compile(SNIPPETS[index], f"README.md snippet {index}", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out.strip()


def test_scale_out_and_persistence_snippets_are_the_tested_ones():
    # tests/test_dask.py and tests/test_persistence.py execute these two from the docs.
    assert SNIPPETS[3:] == DOC_SNIPPETS
