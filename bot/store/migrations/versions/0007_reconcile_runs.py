"""reconcile runs and orphan findings: orphaned-account counts and rates per system

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:40:00
"""
from alembic import op
import sqlalchemy as sa
import bot.store.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reconcile_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('system', sa.String(length=100), nullable=False),
    sa.Column('targets_checked', sa.Integer(), nullable=False),
    sa.Column('targets_failed', sa.Integer(), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.Column('orphans', sa.Integer(), nullable=False),
    sa.Column('missing', sa.Integer(), nullable=False),
    sa.Column('not_checked', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_runs'))
    )
    with op.batch_alter_table('reconcile_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconcile_runs_at'), ['at'], unique=False)
        batch_op.create_index('ix_reconcile_runs_system_at', ['system', 'at'], unique=False)
    op.create_table('orphan_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=100), nullable=False),
    sa.Column('target', sa.String(length=500), nullable=False),
    sa.Column('principal', sa.String(length=320), nullable=False),
    sa.Column('entitlement', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('first_run_id', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fixed_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['first_run_id'], ['reconcile_runs.id'],
                            name=op.f('fk_orphan_findings_first_run_id_reconcile_runs')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_orphan_findings_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orphan_findings'))
    )
    with op.batch_alter_table('orphan_findings', schema=None) as batch_op:
        batch_op.create_index('ix_orphan_findings_open', ['fixed_at', 'system'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('orphan_findings', schema=None) as batch_op:
        batch_op.drop_index('ix_orphan_findings_open')
    op.drop_table('orphan_findings')
    with op.batch_alter_table('reconcile_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_reconcile_runs_system_at')
        batch_op.drop_index(batch_op.f('ix_reconcile_runs_at'))
    op.drop_table('reconcile_runs')
