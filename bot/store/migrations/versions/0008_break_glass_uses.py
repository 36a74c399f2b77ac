"""break-glass uses: emergency grants without approval, their budget and their review

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:45:00
"""
from alembic import op
import sqlalchemy as sa
import bot.store.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('break_glass_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('entitlement', sa.String(length=200), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('ticket', sa.String(length=200), nullable=False),
    sa.Column('used_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('review_due_at', bot.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewer_ids', sa.JSON(), nullable=False),
    sa.Column('notified_ids', sa.JSON(), nullable=False),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', bot.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_break_glass_uses_person_id_people')),
    sa.ForeignKeyConstraint(['request_id'], ['access_requests.id'],
                            name=op.f('fk_break_glass_uses_request_id_access_requests')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['people.id'],
                            name=op.f('fk_break_glass_uses_reviewed_by_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_break_glass_uses'))
    )
    with op.batch_alter_table('break_glass_uses', schema=None) as batch_op:
        batch_op.create_index('ix_break_glass_uses_person_entitlement', ['person_id', 'entitlement', 'used_at'],
                              unique=False)
        batch_op.create_index('ix_break_glass_uses_unreviewed', ['person_id', 'verdict', 'review_due_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('break_glass_uses', schema=None) as batch_op:
        batch_op.drop_index('ix_break_glass_uses_unreviewed')
        batch_op.drop_index('ix_break_glass_uses_person_entitlement')
    op.drop_table('break_glass_uses')
