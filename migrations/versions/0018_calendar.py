"""hearing calendar: appointments (scheduled mediation sessions) with their mediators and
invited parties

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-01 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('room', sa.String(length=200), nullable=False),
    sa.Column('invited', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('session_record_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_appointments_case_id_cases')),
    sa.ForeignKeyConstraint(['committee_id'], ['orgs.id'], name=op.f('fk_appointments_committee_id_orgs')),
    sa.ForeignKeyConstraint(['session_record_id'], ['session_records.id'], name=op.f('fk_appointments_session_record_id_session_records')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_appointments_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointments_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_appointments_committee_starts', ['committee_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_appointments_room', ['committee_id', 'room', 'starts_at'], unique=False)

    op.create_table('appointment_mediators',
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_appointment_mediators_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_appointment_mediators_user_id_users')),
    sa.PrimaryKeyConstraint('appointment_id', 'user_id', name=op.f('pk_appointment_mediators'))
    )
    with op.batch_alter_table('appointment_mediators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_mediators_user_id'), ['user_id'], unique=False)

    op.create_table('appointment_parties',
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_appointment_parties_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['party_id'], ['parties.id'], name=op.f('fk_appointment_parties_party_id_parties'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('appointment_id', 'party_id', name=op.f('pk_appointment_parties'))
    )


def downgrade():
    op.drop_table('appointment_parties')
    with op.batch_alter_table('appointment_mediators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_mediators_user_id'))
    op.drop_table('appointment_mediators')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_room')
        batch_op.drop_index('ix_appointments_committee_starts')
        batch_op.drop_index(batch_op.f('ix_appointments_case_id'))
    op.drop_table('appointments')
