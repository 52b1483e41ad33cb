"""case-file review (案卷评查): reviews, verdicts, answers and quarterly samples

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('returned', 'resubmitted', 'passed', 'basic', name='reviewstatus', native_enum=False, create_constraint=False, length=24), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_reviews_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_reviews')),
    sa.UniqueConstraint('case_id', name=op.f('uq_case_reviews_case_id'))
    )
    with op.batch_alter_table('case_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_reviews_status'), ['status'], unique=False)

    op.create_table('review_verdicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.Enum('passed', 'basic', 'returned', name='verdict', native_enum=False, create_constraint=False, length=24), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('item_comments', sa.JSON(), nullable=False),
    sa.Column('checklist', sa.JSON(), nullable=False),
    sa.Column('auditor_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['auditor_id'], ['users.id'], name=op.f('fk_review_verdicts_auditor_id_users')),
    sa.ForeignKeyConstraint(['review_id'], ['case_reviews.id'], name=op.f('fk_review_verdicts_review_id_case_reviews')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_verdicts'))
    )
    with op.batch_alter_table('review_verdicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_verdicts_review_id'), ['review_id'], unique=False)

    op.create_table('review_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['case_reviews.id'], name=op.f('fk_review_answers_review_id_case_reviews')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_answers_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_answers'))
    )
    with op.batch_alter_table('review_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_answers_review_id'), ['review_id'], unique=False)

    op.create_table('review_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('per_committee', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=40), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_review_samples_drawn_by_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_review_samples_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_samples')),
    sa.UniqueConstraint('org_id', 'year', 'quarter', name=op.f('uq_review_samples_org_id_year_quarter'))
    )
    with op.batch_alter_table('review_samples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_samples_org_id'), ['org_id'], unique=False)

    op.create_table('review_sample_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_review_sample_cases_case_id_cases')),
    sa.ForeignKeyConstraint(['committee_id'], ['orgs.id'], name=op.f('fk_review_sample_cases_committee_id_orgs')),
    sa.ForeignKeyConstraint(['sample_id'], ['review_samples.id'], name=op.f('fk_review_sample_cases_sample_id_review_samples')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_sample_cases')),
    sa.UniqueConstraint('sample_id', 'case_id', name=op.f('uq_review_sample_cases_sample_id_case_id'))
    )
    with op.batch_alter_table('review_sample_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_sample_cases_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_sample_cases_sample_id'), ['sample_id'], unique=False)


def downgrade():
    op.drop_table('review_sample_cases')
    op.drop_table('review_samples')
    op.drop_table('review_answers')
    op.drop_table('review_verdicts')
    op.drop_table('case_reviews')
