"""codes sent by the host's code service

Revision ID: m004
Revises: m003
Create Date: 2026-12-02 17:00:00.000000

mfa_verifications gets external_id: the id the host's identity (Clerk) gave a code it sent and
checks itself; NULL for mfa_app's own codes (all codes stored before this revision).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = 'm004'
down_revision = 'm003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('mfa_verifications', sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mfa_verifications', schema=None) as batch_op:
        batch_op.drop_column('external_id')
