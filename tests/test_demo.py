"""The README's demo command runs and says what it measured."""

import re

from dream_sklearn.demo import main


def test_demo_prints_tables_and_writes_the_plot(tmp_path, capsys):
    plot = tmp_path / "demo.png"
    main(["--rows", "1500", "--plot", str(plot)])
    out = capsys.readouterr().out
    assert "Elec2, progressive validation over 1,500 rows" in out
    rows = dict(
        re.findall(
            r"^\| (DREAMOnlineClassifier|no-change \(previous label\))\s+\| +([\d.]+)", out, re.M
        )
    )
    assert set(rows) == {"DREAMOnlineClassifier", "no-change (previous label)"}
    assert 0.5 < float(rows["DREAMOnlineClassifier"]) <= 1.0
    calm, first = re.findall(
        r"^\| (?:calm, regime 0|first 10 steps after change at 500)\s+\| +([\d.]+)", out, re.M
    )
    assert float(first) > 2 * float(calm)  # surprise reacts to the change
    assert plot.stat().st_size > 10_000
