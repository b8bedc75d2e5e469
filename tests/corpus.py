"""Where the test data lives (importable from any test: tests/ is on pytest's pythonpath)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DEV_SET = ROOT / "eval" / "questions" / "dev.jsonl"
ARTIFACTS = ROOT / "tests" / "artifacts"

# Page chrome that must never reach a chunk, per seed.
BOILERPLATE = {
    "000_9e243a5a117bdeca.txt": [
        "A Zaidi Shiite movement operating in Yemen",
        "Taliban is a Sunni fundamentalist movement",
        "Related Content",
        "Iran, Turkey, And Afghanistan Ink Trilateral Railway Deal",
        "Map of  Latest Battlefield Developments",
        "Tags :",
        "Email :",
        "Commemorating the 36th anniversary",
        "Editor's Choice",
    ],
    "001_a9912d943c8d215c.txt": ["The full article first appeared on Eurasia Daily Monitor."],
    "002_e27121351d9a108d.txt": [
        "Latest news",
        "SOCAR's representative office opens in Ashgabat",
        "Deal done, Iran to get Mil Mi-28 Chopper, Sukhoi Su-35 jet",
        "Subscribe to our Telegram channel",
        "Read also",
        "28 November 2023 - 16:41",
        "All news",
        "ANALYTICS",
    ],
    "003_88517bc1fb036881.txt": [
        "Disclaimer: The contents of this article are of sole responsibility",
        "contains copyrighted material",
        "publications@globalresearch.ca",
        "All Global Research articles can be read in 51 languages",
        "Follow us on",
        "Note to readers",
        "Copyright ©",
        "Featured image:",
    ],
    "004_39dbd394bf72ebd5.txt": [
        "Leave a Reply",
        "Your email address will not be published",
        "Latest Posts",
        "Source: Stern",
    ],
}

# The first and last sentence of each article body: everything between them that is prose
# (a line of four or more words ending like a sentence) must reach a chunk.
BODY_BOUNDS = {
    "000_9e243a5a117bdeca.txt": (
        "Alwaght- The spirit of ancient trade",
        "negotiating a new contract.",
    ),
    "001_a9912d943c8d215c.txt": (
        "Given that Iran has recently inaugurated",
        "as ascending powers.",
    ),
    "002_e27121351d9a108d.txt": (
        "After a long-term confrontation",
        "strategic partner of Azerbaijan.",
    ),
    "003_88517bc1fb036881.txt": (
        "If we were to put the Turkish threats",
        "sea of change on the horizon.",
    ),
    "004_39dbd394bf72ebd5.txt": (
        "Moscow and Tehran agree on a new partnership",
        "weakened their position.",
    ),
}
