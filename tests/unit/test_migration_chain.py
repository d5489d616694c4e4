"""The migrations form one line: every revision has one parent and there is a single head.

`upgrade("heads")` applies forked branches too, so the migration test on both databases passed while
0015 and 0016 both followed 0017 (fixed in 7fcc2a3); a fork means two deployments can apply the same
revisions in different orders. Helpers who add a revision in parallel chain the later one after the other.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory

from certexam.migrate import alembic_config


def test_the_migrations_have_one_head_and_no_branch_points() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert scripts.get_heads() == [scripts.get_current_head()]
    forks = sorted(r.revision for r in scripts.walk_revisions() if r.is_branch_point)
    # 0004 forked into the bonus (0005) and results (0007) branches of the first round, merged by 0008.
    assert forks == ["0004"], forks
