"""the justice office's window (一口受理、归口办理、并口回复): desk entries, their dispatch to a
committee or to a body outside the system, the reply to the source, and their history

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-01 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('desk_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=24), nullable=False),
    sa.Column('source_name', sa.String(length=100), nullable=False),
    sa.Column('source_phone', sa.String(length=20), nullable=False),
    sa.Column('source_address', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('dispute_place', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('risk_level', sa.String(length=24), nullable=False),
    sa.Column('parties', sa.JSON(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('committee_id', sa.Integer(), nullable=True),
    sa.Column('dispatched_by_id', sa.Integer(), nullable=True),
    sa.Column('dispatched_on', sa.Date(), nullable=True),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('outside_body', sa.String(length=100), nullable=False),
    sa.Column('outside_on', sa.Date(), nullable=True),
    sa.Column('outside_how', sa.String(length=100), nullable=False),
    sa.Column('outside_answer_on', sa.Date(), nullable=True),
    sa.Column('outside_answer', sa.Text(), nullable=False),
    sa.Column('replied_on', sa.Date(), nullable=True),
    sa.Column('reply_how', sa.String(length=50), nullable=False),
    sa.Column('reply_text', sa.Text(), nullable=False),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['orgs.id'], name=op.f('fk_desk_entries_office_id_orgs')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_desk_entries_registered_by_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_desk_entries_case_id_cases')),
    sa.ForeignKeyConstraint(['committee_id'], ['orgs.id'], name=op.f('fk_desk_entries_committee_id_orgs')),
    sa.ForeignKeyConstraint(['dispatched_by_id'], ['users.id'], name=op.f('fk_desk_entries_dispatched_by_id_users')),
    sa.ForeignKeyConstraint(['replied_by_id'], ['users.id'], name=op.f('fk_desk_entries_replied_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_entries')),
    sa.UniqueConstraint('case_id', name=op.f('uq_desk_entries_case_id'))
    )
    with op.batch_alter_table('desk_entries', schema=None) as batch_op:
        batch_op.create_index('ix_desk_entries_office', ['office_id', 'registered_on'], unique=False)

    op.create_table('desk_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['desk_entries.id'], name=op.f('fk_desk_events_entry_id_desk_entries')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_desk_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_events')),
    sa.UniqueConstraint('seq', name=op.f('uq_desk_events_seq'))
    )
    with op.batch_alter_table('desk_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_events_entry_id'), ['entry_id'], unique=False)


def downgrade():
    with op.batch_alter_table('desk_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_events_entry_id'))
    op.drop_table('desk_events')
    with op.batch_alter_table('desk_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_desk_entries_office')
    op.drop_table('desk_entries')
