"""statistics at a million cases: the outcome kept on the case (first agreement's day, the
last time of each ending and of 重新调解), backfilled from the timeline, and the indexes the
statistics, early warning and sampling use (chosen from EXPLAIN, see bench/run.py)

Revision ID: 0021
Revises: 0015
Create Date: 2026-12-01 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

TIMES = {'reach_agreement': 'agreed_at', 'terminate': 'terminated_at',
         'withdraw': 'withdrawn_at', 'reopen': 'reopened_at'}


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agreed_on', sa.Date(), nullable=True))
        for column in [*TIMES.values(), 'outcome_at']:
            batch_op.add_column(sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    # The cases as they stand: the same facts record_event keeps from now on.
    lasts = ', '.join(f"max(CASE WHEN action = '{action}' THEN at END) AS {column}"
                      for action, column in TIMES.items())
    actions = ', '.join(f"'{action}'" for action in TIMES)
    sets = ', '.join(f'{column} = outcome.{column}' for column in TIMES.values())
    op.execute(f"""
        UPDATE cases SET {sets}, outcome_at = outcome.outcome_at
        FROM (SELECT case_id, {lasts}, max(at) AS outcome_at FROM case_events
              WHERE action IN ({actions}) GROUP BY case_id) AS outcome
        WHERE outcome.case_id = cases.id
    """)
    op.execute("""
        UPDATE cases SET agreed_on = first.day
        FROM (SELECT case_id, min(reached_on) AS day FROM agreements GROUP BY case_id) AS first
        WHERE first.case_id = cases.id
    """)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_outcome_at', ['outcome_at', 'committee_id'], unique=False)
        batch_op.create_index('ix_cases_closed', ['closed_on', 'committee_id'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_closed')
        batch_op.drop_index('ix_cases_outcome_at')
        for column in ['outcome_at', *reversed(TIMES.values()), 'agreed_on']:
            batch_op.drop_column(column)
