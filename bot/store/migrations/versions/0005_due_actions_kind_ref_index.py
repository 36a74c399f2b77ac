"""index due_actions on (kind, ref_id)

Cancelling a grant's expiry and warnings (every grant end) and listing a ref's pending rows
select by kind and ref_id; without this index each of those scans the whole table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 04:58:00
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('due_actions', schema=None) as batch_op:
        batch_op.create_index('ix_due_actions_kind_ref', ['kind', 'ref_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('due_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_due_actions_kind_ref')
