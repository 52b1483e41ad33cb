"""law rules 14-18: rights notice, publicity, initiative consent, risk reason, extension
consent, dispute place and party district

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispute_place', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('extension_consent', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('rights_notice_at', sa.DateTime(timezone=True), nullable=True))
        # The foreign key inline, so SQLite adds the column in place instead of rebuilding
        # the table (a rebuild drops `cases`, which its children's foreign keys refuse).
        batch_op.add_column(sa.Column('rights_notice_by_id', sa.Integer(), sa.ForeignKey('users.id', name='fk_cases_rights_notice_by_id_users'), nullable=True))
        batch_op.add_column(sa.Column('publicity', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('initiative_consent', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('risk_reason', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district', sa.String(length=100), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('parties', schema=None) as batch_op:
        batch_op.drop_column('district')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_rights_notice_by_id_users'), type_='foreignkey')
        batch_op.drop_column('risk_reason')
        batch_op.drop_column('initiative_consent')
        batch_op.drop_column('publicity')
        batch_op.drop_column('rights_notice_by_id')
        batch_op.drop_column('rights_notice_at')
        batch_op.drop_column('extension_consent')
        batch_op.drop_column('dispute_place')
