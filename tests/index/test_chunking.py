import subprocess
import sys

PROBE = """
import sys
from index.chunking import sentence_spans
assert sentence_spans("One here. Two there.") == [(0, 9), (10, 20)]
print("scipy.stats" in sys.modules)
import scipy.stats
print(scipy.stats.norm.cdf(0))
"""


def test_the_sentence_splitter_loads_without_scipy_stats_which_stays_importable():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["False", "0.5"]
