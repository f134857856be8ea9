"""`hvp refresh`: rebuild the derived tables (legal-state timelines, memberships) after imports or rule changes.

Every command that imports calls :func:`refresh_derived_tables` itself; the command is for a warehouse
whose rules changed (fees.yaml, industries.yaml) or whose refresh was interrupted.
"""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from hvpatent.cli.common import DbOption, app, console, err_console, open_warehouse


def refresh_derived_tables(wh) -> dict[str, int]:
    """Refresh with a progress bar on stderr; returns the applications rebuilt per table."""
    from hvpatent.indicators import refresh_derived

    # MofNCompleteColumn shows "?" while the total is unknown; a "{task.total:,}" text column fails on None.
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=err_console, transient=True) as bar:
        task = bar.add_task("更新法律状态时间线 / refreshing timelines", total=None)
        return refresh_derived(wh, lambda done, total: bar.update(task, completed=done, total=total))


@app.command("refresh")
def refresh_cmd(db: DbOption = None) -> None:
    """重建法律状态时间线等派生表 / rebuild legal-state timelines and memberships."""
    with open_warehouse(db) as wh:
        rebuilt = refresh_derived_tables(wh)
    if not rebuilt:
        console.print("派生表均已是最新 / the derived tables are up to date")
    for name, count in rebuilt.items():
        console.print(f"{name}: 重建 {count:,} 件申请 / rebuilt for {count:,} applications")
