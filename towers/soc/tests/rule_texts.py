"""Small Sigma rules for the rule management tests."""

from __future__ import annotations

from pathlib import Path

WHOAMI_ID = "5f1a4c0e-0000-4000-8000-000000000001"
CERTUTIL_ID = "5f1a4c0e-0000-4000-8000-000000000002"
BURST_ID = "5f1a4c0e-0000-4000-8000-000000000003"


def detection(
    rule_id: str = WHOAMI_ID, title: str = "Whoami run", image: str = "whoami.exe", level: str = "medium"
) -> str:
    return (
        f"title: {title}\nid: {rule_id}\nlevel: {level}\ntags:\n  - attack.discovery\n  - attack.t1033\n"
        "logsource:\n  product: windows\n  category: process_creation\n"
        f"detection:\n  selection:\n    Image|endswith: '\\\\{image}'\n  condition: selection\n"
    )


def correlation(rule_id: str = BURST_ID) -> str:
    return (
        f"title: Whoami burst\nid: {rule_id}\nlevel: high\ncorrelation:\n  type: event_count\n"
        f"  rules:\n    - {WHOAMI_ID}\n  group-by:\n    - Computer\n  timespan: 5m\n  condition:\n    gte: 3\n"
    )


def write_rules(folder: Path, **texts: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.yml").write_text(text, encoding="utf-8")
    return folder
