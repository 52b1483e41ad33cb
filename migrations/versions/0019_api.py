"""the JSON API: clients (courts, police, petition offices, departments, the province),
their units and hashed tokens, referrals by reference number, rate-limit counters, the
outbox of pushed status changes

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-01 14:18:54.105671

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('callback_url', sa.String(length=500), nullable=False),
    sa.Column('signing_secret', sa.String(length=100), nullable=False),
    sa.Column('rate_limit', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
    sa.UniqueConstraint('name', name=op.f('uq_api_clients_name'))
    )
    op.create_table('api_client_units',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_api_client_units_client_id_api_clients')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_api_client_units_org_id_orgs')),
    sa.PrimaryKeyConstraint('client_id', 'org_id', name=op.f('pk_api_client_units'))
    )
    op.create_table('api_rate_counts',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('minute', sa.DateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_api_rate_counts_client_id_api_clients')),
    sa.PrimaryKeyConstraint('client_id', 'minute', name=op.f('pk_api_rate_counts'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_api_tokens_client_id_api_clients')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_api_tokens_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_client_id'), ['client_id'], unique=False)

    op.create_table('api_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=40), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_api_outbox_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_api_outbox_client_id_api_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_outbox')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_api_outbox_idempotency_key'))
    )
    with op.batch_alter_table('api_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_outbox_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_outbox_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_api_outbox_due', ['delivered_at', 'next_attempt_at'], unique=False)

    op.create_table('api_referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_api_referrals_case_id_cases')),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_api_referrals_client_id_api_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_referrals')),
    sa.UniqueConstraint('case_id', name=op.f('uq_api_referrals_case_id')),
    sa.UniqueConstraint('client_id', 'reference', name=op.f('uq_api_referrals_client_id_reference'))
    )


def downgrade():
    op.drop_table('api_referrals')
    with op.batch_alter_table('api_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_api_outbox_due')
        batch_op.drop_index(batch_op.f('ix_api_outbox_client_id'))
        batch_op.drop_index(batch_op.f('ix_api_outbox_case_id'))

    op.drop_table('api_outbox')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_client_id'))

    op.drop_table('api_tokens')
    op.drop_table('api_rate_counts')
    op.drop_table('api_client_units')
    op.drop_table('api_clients')
