"""who claimed a provisioning action or an outbox event; when a provisioning action was first tried

A claim whose claimer died is taken over at once (bot/store/liveness.py) instead of when its
lease runs out, which needs the claimer's id on every claimed row. A grant's end is counted from
the first attempt of its grant call (bot/ledger/grants.py), which a retry must not overwrite.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:45:00
"""
import sqlalchemy as sa
from alembic import op

import bot.store.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('provisioning_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('first_attempt_at', bot.store.types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_column('claimed_by')
    with op.batch_alter_table('provisioning_actions', schema=None) as batch_op:
        batch_op.drop_column('first_attempt_at')
        batch_op.drop_column('claimed_by')
