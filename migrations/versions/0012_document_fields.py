"""documents after the legal review: place of performance per term, the agreement's agents,
the follow-up's reason, risks found and measures taken

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agreement_terms') as batch_op:
        batch_op.add_column(sa.Column('place', sa.String(length=200), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('agreements') as batch_op:
        batch_op.add_column(sa.Column('agents', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('follow_ups') as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('risks', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('measures', sa.Text(), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('follow_ups') as batch_op:
        batch_op.drop_column('measures')
        batch_op.drop_column('risks')
        batch_op.drop_column('reason')
    with op.batch_alter_table('agreements') as batch_op:
        batch_op.drop_column('agents')
    with op.batch_alter_table('agreement_terms') as batch_op:
        batch_op.drop_column('place')
