"""documents: generated PDFs with their hash, version and verification code

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('generated_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('pdf_variant', sa.String(length=24), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('generated_by_id', sa.Integer(), nullable=False),
    sa.Column('signed_attachment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_generated_documents_case_id_cases')),
    sa.ForeignKeyConstraint(['generated_by_id'], ['users.id'], name=op.f('fk_generated_documents_generated_by_id_users')),
    sa.ForeignKeyConstraint(['signed_attachment_id'], ['attachments.id'], name=op.f('fk_generated_documents_signed_attachment_id_attachments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_generated_documents')),
    sa.UniqueConstraint('case_id', 'kind', 'source_id', 'version', name=op.f('uq_generated_documents_case_id_kind_source_id_version')),
    sa.UniqueConstraint('code', name=op.f('uq_generated_documents_code'))
    )
    with op.batch_alter_table('generated_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_generated_documents_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_generated_documents_sha256'), ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('generated_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_generated_documents_sha256'))
        batch_op.drop_index(batch_op.f('ix_generated_documents_case_id'))

    op.drop_table('generated_documents')
