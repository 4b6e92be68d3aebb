"""backup codes kept by the factor mirror

Revision ID: m003
Revises: m002
Create Date: 2026-12-02 16:00:00.000000

mfa_backup_codes gets kept_by_mirror: whether the set was also given to the identity's factor
mirror (Clerk) when it was made, so that a code of it the mirror no longer takes (used at the
mirror's own sign-in) stops working in mfa_app too. Sets stored before this revision are False:
the mirror never had them.
"""

import sqlalchemy as sa
from alembic import op


revision = 'm003'
down_revision = 'm002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'mfa_backup_codes', sa.Column('kept_by_mirror', sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    with op.batch_alter_table('mfa_backup_codes', schema=None) as batch_op:
        batch_op.drop_column('kept_by_mirror')
