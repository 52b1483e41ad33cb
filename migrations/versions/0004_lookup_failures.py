"""resident portal: failed case lookups, for throttling

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lookup_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lookup_failures'))
    )
    with op.batch_alter_table('lookup_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lookup_failures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lookup_failures_key'), ['key'], unique=False)


def downgrade():
    with op.batch_alter_table('lookup_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lookup_failures_key'))
        batch_op.drop_index(batch_op.f('ix_lookup_failures_at'))

    op.drop_table('lookup_failures')
