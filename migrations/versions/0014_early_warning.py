"""early warning: 督办 instructions, and the indexes the warning view and the statistics use
at a million cases (chosen from EXPLAIN, see bench/run.py)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('instructions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('from_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_instructions_case_id_cases')),
    sa.ForeignKeyConstraint(['committee_id'], ['orgs.id'], name=op.f('fk_instructions_committee_id_orgs')),
    sa.ForeignKeyConstraint(['from_id'], ['users.id'], name=op.f('fk_instructions_from_id_users')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_instructions_answered_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instructions'))
    )
    with op.batch_alter_table('instructions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instructions_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_instructions_committee_open', ['committee_id', 'answered_at'], unique=False)
    # From EXPLAIN at 200,000 and 1,000,000 cases (bench/run.py --explain): the statistics
    # read the cases touched since a period began; early warning joins parties on the ID
    # number and the address.
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_at', ['at', 'case_id'], unique=False)
        batch_op.create_index('ix_case_events_case_action', ['case_id', 'action', 'at'], unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_accepted', ['accepted_on', 'committee_id'], unique=False)
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.create_index('ix_parties_id_number', ['id_number', 'case_id'], unique=False)
        batch_op.create_index('ix_parties_address', ['address', 'case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.drop_index('ix_parties_address')
        batch_op.drop_index('ix_parties_id_number')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_accepted')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_case_action')
        batch_op.drop_index('ix_case_events_at')
    with op.batch_alter_table('instructions', schema=None) as batch_op:
        batch_op.drop_index('ix_instructions_committee_open')
        batch_op.drop_index(batch_op.f('ix_instructions_case_id'))
    op.drop_table('instructions')
