"""backup codes' lookup part

Revision ID: m002
Revises: m001
Create Date: 2026-12-02 01:00:00.000000

mfa_backup_codes gets lookup_hmac: the keyed HMAC of a code's first symbols, so that an attempt
verifies one argon2id hash, not every code of the set. Codes stored before this revision keep
NULL there and are still checked one by one, until the user generates a new set.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = 'm002'
down_revision = 'm001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('mfa_backup_codes', sa.Column('lookup_hmac', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mfa_backup_codes', schema=None) as batch_op:
        batch_op.drop_column('lookup_hmac')
