"""audit trail: one keyed chain over case events, the administration log and the new
security log; the chain head; case events record the case's status and version

Existing rows are RE-SEALED at upgrade time: they are numbered in order of time, chained
onto each other and hashed with HMAC-SHA256 under the AUDIT_KEY configured when the upgrade
runs (run `flask audit-verify` before upgrading: the old unkeyed chains are not checked
again). The newest event of each case records the case's status and version as they are at
upgrade time.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 11:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade():
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('security_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=120), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_security_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_events')),
    sa.UniqueConstraint('seq', name=op.f('uq_security_events_seq'))
    )
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_events_kind'), ['kind'], unique=False)
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('case_status', sa.String(length=24), nullable=True))
    with op.batch_alter_table('admin_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))

    head_seq, head_hash = _reseal()
    op.bulk_insert(sa.table('audit_head', sa.column('id', sa.Integer), sa.column('seq', sa.Integer),
                            sa.column('hash', sa.String)),
                   [{'id': 1, 'seq': head_seq, 'hash': head_hash}])

    if head_seq:  # the re-sealed head, signed outside the database
        from mediation.audit.chain import write_checkpoint

        write_checkpoint(head_seq, head_hash)

    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_case_events_seq'), ['seq'])
    with op.batch_alter_table('admin_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_admin_events_seq'), ['seq'])


def _reseal():
    """Number the existing entries in order of time and seal them with the configured key.
    Uses the models' own content() (built as transient objects), so the hashes are exactly
    what verification recomputes."""
    rows = _existing_entries()
    if not rows:
        return 0, GENESIS
    from flask import current_app

    from mediation.models.audit import seal

    key = current_app.config["AUDIT_KEY"].encode()
    bind = op.get_bind()
    prev = GENESIS
    for seq, (table, entry, extra) in enumerate(rows, 1):
        entry.seq = seq
        entry.prev_hash = prev
        entry.hash = seal(key, seq, prev, entry.content())
        bind.execute(
            sa.text(f"UPDATE {table} SET seq = :seq, prev_hash = :prev, hash = :hash{extra} "
                    "WHERE id = :id"),
            {'seq': seq, 'prev': prev, 'hash': entry.hash, 'id': entry.id,
             'status': str(entry.case_status) if getattr(entry, 'case_status', None) else None,
             'version': getattr(entry, 'case_version', None)},
        )
        prev = entry.hash
    return len(rows), prev


def _existing_entries():
    from mediation.models import AdminEvent, Case, CaseEvent

    session = op.get_bind()
    c = CaseEvent.__table__.c
    a = AdminEvent.__table__.c
    cases = {r.id: r for r in session.execute(sa.select(Case.__table__.c.id, Case.__table__.c.status,
                                                        Case.__table__.c.version))}
    entries = []
    newest = {}
    for r in session.execute(sa.select(c.id, c.case_id, c.at, c.user_id, c.kind, c.action,
                                       c.from_status, c.to_status, c.reason, c.details,
                                       c.case_version)):
        event = CaseEvent(id=r.id, case_id=r.case_id, at=r.at, user_id=r.user_id, kind=r.kind,
                          action=r.action, from_status=r.from_status, to_status=r.to_status,
                          reason=r.reason, details=r.details, case_version=r.case_version,
                          case_status=None)
        entries.append((r.at, 0, r.id, 'case_events', event))
        if r.case_id not in newest or r.id > newest[r.case_id].id:
            newest[r.case_id] = event
    for case_id, event in newest.items():
        event.case_status = cases[case_id].status
        event.case_version = cases[case_id].version
    for r in session.execute(sa.select(a.id, a.at, a.user_id, a.action, a.target, a.summary,
                                       a.details)):
        entry = AdminEvent(id=r.id, at=r.at, user_id=r.user_id, action=r.action, target=r.target,
                           summary=r.summary, details=r.details)
        entries.append((r.at, 1, r.id, 'admin_events', entry))
    entries.sort(key=lambda t: t[:3])
    return [
        (table, entry,
         ', case_status = :status, case_version = :version' if table == 'case_events' else '')
        for *_, table, entry in entries
    ]


def downgrade():
    with op.batch_alter_table('admin_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_admin_events_seq'), type_='unique')
        batch_op.drop_column('seq')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_case_events_seq'), type_='unique')
        batch_op.drop_column('case_status')
        batch_op.drop_column('seq')
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_events_kind'))
        batch_op.drop_index(batch_op.f('ix_security_events_at'))
    op.drop_table('security_events')
    op.drop_table('audit_head')
