"""access reviews: the removal an orphan item's revoke queued; no per-row key checks on bulk-written ids

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action_id', sa.String(length=36), nullable=True))
        batch_op.create_foreign_key('fk_review_items_action_id_provisioning_actions', 'provisioning_actions', ['action_id'], ['id'])
        # Written in bulk at a campaign's start from rows read in the same transaction (see the model).
        batch_op.drop_constraint('fk_review_items_grant_id_grants', type_='foreignkey')
        batch_op.drop_constraint('fk_review_items_holder_id_people', type_='foreignkey')
        batch_op.drop_constraint('fk_review_items_reviewer_id_people', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_review_items_reviewer_id_people', 'people', ['reviewer_id'], ['id'])
        batch_op.create_foreign_key('fk_review_items_holder_id_people', 'people', ['holder_id'], ['id'])
        batch_op.create_foreign_key('fk_review_items_grant_id_grants', 'grants', ['grant_id'], ['id'])
        batch_op.drop_constraint('fk_review_items_action_id_provisioning_actions', type_='foreignkey')
        batch_op.drop_column('action_id')
