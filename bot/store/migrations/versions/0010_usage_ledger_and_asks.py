"""usage: last-activity ledger, collection state, keep-or-release questions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:20:00
"""
from alembic import op
import sqlalchemy as sa
import bot.store.types


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('usage_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connector', sa.String(length=100), nullable=False),
    sa.Column('account_id', sa.String(length=500), nullable=False),
    sa.Column('account_display', sa.String(length=500), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('last_activity_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('meaning', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('read_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('connector', 'account_id', name='uq_usage_activity_account')
    )
    with op.batch_alter_table('usage_activity', schema=None) as batch_op:
        batch_op.create_index('ix_usage_activity_person', ['person_id', 'connector'], unique=False)

    op.create_table('usage_collections',
    sa.Column('connector', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cursor', sa.Text(), nullable=True),
    sa.Column('run_started_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_complete_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('accounts_read', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('connector')
    )
    op.create_table('usage_asks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('asked_id', sa.Integer(), nullable=False),
    sa.Column('entitlement', sa.String(length=200), nullable=False),
    sa.Column('connector', sa.String(length=100), nullable=False),
    sa.Column('last_activity_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('meaning', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('asked_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('at_deadline', sa.String(length=20), nullable=False),
    sa.Column('decided_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_how', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('cost_cents', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['asked_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], ),
    sa.ForeignKeyConstraint(['holder_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('usage_asks', schema=None) as batch_op:
        batch_op.create_index('ix_usage_asks_grant_status', ['grant_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('usage_asks', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_asks_grant_status')
    op.drop_table('usage_asks')
    op.drop_table('usage_collections')
    with op.batch_alter_table('usage_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_activity_person')
    op.drop_table('usage_activity')
