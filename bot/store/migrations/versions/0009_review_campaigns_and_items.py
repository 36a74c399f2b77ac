"""access reviews: campaigns and their items

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:45:00
"""
from alembic import op
import sqlalchemy as sa
import bot.store.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_by', sa.String(length=200), nullable=False),
    sa.Column('at_deadline', sa.String(length=20), nullable=False),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('it_channel', sa.String(length=32), nullable=True),
    sa.Column('it_ts', sa.String(length=32), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_campaigns_name'), ['name'], unique=False)

    op.create_table('review_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=True),
    sa.Column('subject_ref', sa.String(length=500), nullable=True),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('entitlement', sa.String(length=200), nullable=False),
    sa.Column('connector', sa.String(length=100), nullable=False),
    sa.Column('risk', sa.String(length=20), nullable=False),
    sa.Column('held_since', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('granted_by', sa.String(length=200), nullable=False),
    sa.Column('granted_how', sa.String(length=20), nullable=False),
    sa.Column('last_reviewed_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_how', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['review_campaigns.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], ),
    sa.ForeignKeyConstraint(['holder_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['reviewer_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index('ix_review_items_campaign_reviewer_status', ['campaign_id', 'reviewer_id', 'status'], unique=False)
        batch_op.create_index('ix_review_items_grant', ['grant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_grant')
        batch_op.drop_index('ix_review_items_campaign_reviewer_status')
    op.drop_table('review_items')
    with op.batch_alter_table('review_campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_campaigns_name'))
    op.drop_table('review_campaigns')
