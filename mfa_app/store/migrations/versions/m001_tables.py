"""mfa_app's tables, named mfa_* and versioned in mfa_app_version (a database from before,
with unprefixed names and Alembic's default version table, is brought here by
mfa_app/store/legacy.py).

Revision ID: m001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = 'm001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mfa_sms_sends',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('phone_number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('client_ip', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mfa_sms_sends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_sms_sends_client_ip'), ['client_ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_mfa_sms_sends_phone_number'), ['phone_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_mfa_sms_sends_sent_at'), ['sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mfa_sms_sends_user_id'), ['user_id'], unique=False)

    op.create_table('mfa_users',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('password_failures', sa.Integer(), nullable=False),
    sa.Column('second_factor_failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mfa_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_users_email'), ['email'], unique=True)

    op.create_table('mfa_backup_codes',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['mfa_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mfa_backup_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_backup_codes_user_id'), ['user_id'], unique=False)

    op.create_table('mfa_password_resets',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('email_hmac', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('client_ip', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('token_hmac', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['mfa_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mfa_password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_password_resets_client_ip'), ['client_ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_mfa_password_resets_email_hmac'), ['email_hmac'], unique=False)
        batch_op.create_index(batch_op.f('ix_mfa_password_resets_requested_at'), ['requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mfa_password_resets_token_hmac'), ['token_hmac'], unique=True)
        batch_op.create_index(batch_op.f('ix_mfa_password_resets_user_id'), ['user_id'], unique=False)

    op.create_table('mfa_phone_numbers',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('phone_number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('verified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('reserved_for_second_factor', sa.Boolean(), nullable=False),
    sa.Column('default_second_factor', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['mfa_users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'phone_number', name='uq_mfa_phone_per_user')
    )
    with op.batch_alter_table('mfa_phone_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_phone_numbers_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_mfa_one_default_per_user', ['user_id'], unique=True, sqlite_where=sa.text('default_second_factor'), postgresql_where=sa.text('default_second_factor'))

    op.create_table('mfa_security_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['mfa_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mfa_security_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_security_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mfa_security_events_user_id'), ['user_id'], unique=False)

    op.create_table('mfa_sessions',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('token_hmac', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('second_factor_pending', sa.Boolean(), nullable=False),
    sa.Column('last_verified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_verified_level', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('handoff_hmac', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('handoff_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('user_agent', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('last_active_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['mfa_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mfa_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_sessions_handoff_hmac'), ['handoff_hmac'], unique=False)
        batch_op.create_index(batch_op.f('ix_mfa_sessions_token_hmac'), ['token_hmac'], unique=True)
        batch_op.create_index(batch_op.f('ix_mfa_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('mfa_verifications',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('phone_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('session_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('code_hmac', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('consumed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['phone_id'], ['mfa_phone_numbers.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['mfa_sessions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['mfa_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mfa_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_verifications_phone_id'), ['phone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mfa_verifications_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('mfa_verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_verifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_mfa_verifications_phone_id'))

    op.drop_table('mfa_verifications')
    with op.batch_alter_table('mfa_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_mfa_sessions_token_hmac'))
        batch_op.drop_index(batch_op.f('ix_mfa_sessions_handoff_hmac'))

    op.drop_table('mfa_sessions')
    with op.batch_alter_table('mfa_security_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_security_events_user_id'))
        batch_op.drop_index(batch_op.f('ix_mfa_security_events_created_at'))

    op.drop_table('mfa_security_events')
    with op.batch_alter_table('mfa_phone_numbers', schema=None) as batch_op:
        batch_op.drop_index('uq_mfa_one_default_per_user', sqlite_where=sa.text('default_second_factor'), postgresql_where=sa.text('default_second_factor'))
        batch_op.drop_index(batch_op.f('ix_mfa_phone_numbers_user_id'))

    op.drop_table('mfa_phone_numbers')
    with op.batch_alter_table('mfa_password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_password_resets_user_id'))
        batch_op.drop_index(batch_op.f('ix_mfa_password_resets_token_hmac'))
        batch_op.drop_index(batch_op.f('ix_mfa_password_resets_requested_at'))
        batch_op.drop_index(batch_op.f('ix_mfa_password_resets_email_hmac'))
        batch_op.drop_index(batch_op.f('ix_mfa_password_resets_client_ip'))

    op.drop_table('mfa_password_resets')
    with op.batch_alter_table('mfa_backup_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_backup_codes_user_id'))

    op.drop_table('mfa_backup_codes')
    with op.batch_alter_table('mfa_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_users_email'))

    op.drop_table('mfa_users')
    with op.batch_alter_table('mfa_sms_sends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_sms_sends_user_id'))
        batch_op.drop_index(batch_op.f('ix_mfa_sms_sends_sent_at'))
        batch_op.drop_index(batch_op.f('ix_mfa_sms_sends_phone_number'))
        batch_op.drop_index(batch_op.f('ix_mfa_sms_sends_client_ip'))

    op.drop_table('mfa_sms_sends')
