"""statistics ledger: each committee's mark (bumped with every change to its cases) and the
report parts worked out per committee, kept while the mark stays the same

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('statistics_marks',
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('mark', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['orgs.id'], name=op.f('fk_statistics_marks_committee_id_orgs')),
    sa.PrimaryKeyConstraint('committee_id', name=op.f('pk_statistics_marks'))
    )
    op.create_table('statistics_parts',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('mark', sa.Integer(), nullable=False),
    sa.Column('part', sa.JSON(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['orgs.id'], name=op.f('fk_statistics_parts_committee_id_orgs')),
    sa.PrimaryKeyConstraint('key', 'committee_id', name=op.f('pk_statistics_parts'))
    )


def downgrade():
    op.drop_table('statistics_parts')
    op.drop_table('statistics_marks')
