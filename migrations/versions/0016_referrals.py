"""referrals in, feedback out: the referring body of a referred case, its reference number,
dates, and the sending of the 反馈函

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 14:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('body_kind', sa.String(length=24), nullable=False),
    sa.Column('body_name', sa.String(length=100), nullable=False),
    sa.Column('reference_number', sa.String(length=60), nullable=False),
    sa.Column('referred_on', sa.Date(), nullable=False),
    sa.Column('feedback_due', sa.Date(), nullable=True),
    sa.Column('feedback_sent_on', sa.Date(), nullable=True),
    sa.Column('feedback_method', sa.String(length=24), nullable=True),
    sa.Column('feedback_note', sa.Text(), nullable=False),
    sa.Column('feedback_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['feedback_by_id'], ['users.id'], name=op.f('fk_referrals_feedback_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('case_id', name=op.f('uq_referrals_case_id')),
    sa.UniqueConstraint('body_name', 'reference_number', name=op.f('uq_referrals_body_name_reference_number'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_body_kind'), ['body_kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_referrals_body_name'), ['body_name'], unique=False)


def downgrade():
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_body_name'))
        batch_op.drop_index(batch_op.f('ix_referrals_body_kind'))
    op.drop_table('referrals')
