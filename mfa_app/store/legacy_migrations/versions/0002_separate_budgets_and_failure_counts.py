"""separate SMS budgets and failure counts

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:30:00.000000

sms_sends gets each code's purpose (the budget it spent) and the address of the client that
asked for it; users count wrong passwords and wrong second factors apart. Sends recorded before
this revision are taken as codes to new numbers (the smaller budget): the safe side for the hour
they still count. users is changed in place, never copied: on SQLite a copy would drop the table
that sessions, phones and events reference.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('sms_sends', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='phone_verification'))
        batch_op.add_column(sa.Column('client_ip', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_sms_sends_client_ip'), ['client_ip'], unique=False)

    with op.batch_alter_table('sms_sends', schema=None) as batch_op:
        batch_op.alter_column('purpose', server_default=None)  # the app always sets it

    op.alter_column('users', 'failed_attempts', new_column_name='password_failures')
    op.add_column('users', sa.Column('second_factor_failures', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:

    op.drop_column('users', 'second_factor_failures')
    op.alter_column('users', 'password_failures', new_column_name='failed_attempts')

    with op.batch_alter_table('sms_sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_sends_client_ip'))
        batch_op.drop_column('client_ip')
        batch_op.drop_column('purpose')
