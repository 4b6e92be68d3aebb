"""password reset links and the sessions the user can see

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000

password_resets holds every reset request (the counter behind its limits) and, for an account,
the link's token as an HMAC; sessions get the browser's user agent and when they were last
used. sessions is changed in place, never copied: on SQLite a copy would drop the table that
verifications reference.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('password_resets',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('email_hmac', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('client_ip', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('token_hmac', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_resets_client_ip'), ['client_ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_resets_email_hmac'), ['email_hmac'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_resets_requested_at'), ['requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_resets_token_hmac'), ['token_hmac'], unique=True)
        batch_op.create_index(batch_op.f('ix_password_resets_user_id'), ['user_id'], unique=False)

    op.add_column('sessions', sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column('sessions', sa.Column('last_active_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:

    op.drop_column('sessions', 'last_active_at')
    op.drop_column('sessions', 'user_agent')

    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_user_id'))
        batch_op.drop_index(batch_op.f('ix_password_resets_token_hmac'))
        batch_op.drop_index(batch_op.f('ix_password_resets_requested_at'))
        batch_op.drop_index(batch_op.f('ix_password_resets_email_hmac'))
        batch_op.drop_index(batch_op.f('ix_password_resets_client_ip'))

    op.drop_table('password_resets')
