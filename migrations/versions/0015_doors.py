"""many doors in: online applications, grids and their 排查 reports, committees' service
areas, lookups by receipt number

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 11:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_area', sa.String(length=300), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('portal_lookups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('by_receipt', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    op.create_table('online_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('committee_suggested', sa.Boolean(), nullable=False),
    sa.Column('consented_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_online_applications_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_online_applications')),
    sa.UniqueConstraint('receipt', name=op.f('uq_online_applications_receipt')),
    sa.UniqueConstraint('case_id', name=op.f('uq_online_applications_case_id'))
    )

    op.create_table('grids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('area', sa.String(length=200), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['orgs.id'], name=op.f('fk_grids_committee_id_orgs')),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_grids_worker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grids')),
    sa.UniqueConstraint('committee_id', 'name', name=op.f('uq_grids_committee_id_name'))
    )
    with op.batch_alter_table('grids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grids_committee_id'), ['committee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grids_worker_id'), ['worker_id'], unique=False)

    op.create_table('grid_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('parties', sa.String(length=300), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('risk_level', sa.String(length=24), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('outcome_note', sa.Text(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_grid_reports_grid_id_grids')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_grid_reports_reporter_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_grid_reports_case_id_cases')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_grid_reports_handled_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_reports'))
    )
    with op.batch_alter_table('grid_reports', schema=None) as batch_op:
        batch_op.create_index('ix_grid_reports_grid_week', ['grid_id', 'week'], unique=False)
        batch_op.create_index(batch_op.f('ix_grid_reports_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index('uq_grid_reports_zero', ['grid_id', 'week'], unique=True,
                              sqlite_where=sa.text("kind = 'zero'"),
                              postgresql_where=sa.text("kind = 'zero'"))

    op.create_table('grid_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['grid_reports.id'], name=op.f('fk_grid_photos_report_id_grid_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_photos'))
    )
    with op.batch_alter_table('grid_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_photos_report_id'), ['report_id'], unique=False)


def downgrade():
    op.drop_table('grid_photos')
    with op.batch_alter_table('grid_reports', schema=None) as batch_op:
        batch_op.drop_index('uq_grid_reports_zero')
        batch_op.drop_index(batch_op.f('ix_grid_reports_reporter_id'))
        batch_op.drop_index('ix_grid_reports_grid_week')
    op.drop_table('grid_reports')
    with op.batch_alter_table('grids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grids_worker_id'))
        batch_op.drop_index(batch_op.f('ix_grids_committee_id'))
    op.drop_table('grids')
    op.drop_table('online_applications')
    with op.batch_alter_table('portal_lookups', schema=None) as batch_op:
        batch_op.drop_column('by_receipt')
    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.drop_column('service_area')
