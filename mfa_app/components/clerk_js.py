"""ClerkJS for pages on Clerk's users (mfa_app.clerk.ClerkIdentity): loaded from the instance's
Frontend API as Clerk's JavaScript quickstart loads it, and a page opened with an expired
`__session` loaded again once ClerkJS has renewed the token (mfa_app's websocket keeps the
cookies of its handshake, so it can't pick the new token up by itself)."""

from __future__ import annotations

import base64
import json

import reflex as rx


def frontend_api(publishable_key: str) -> str:
    """The instance's Frontend API host, which a publishable key carries: "pk_test_" or "pk_live_",
    then the host and a "$", base64-encoded (as Clerk's own SDKs read it)."""
    encoded = publishable_key.split("_", 2)[-1]
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode().rstrip("$")


# ClerkJS from the instance's Frontend API, as Clerk's JavaScript quickstart loads it; then, for a
# page opened with a `__session` token that had expired (no tab renewed it in the last minute),
# one reload once ClerkJS has renewed it: mfa_app's websocket connected with the old token.
CLERK_JS = """((publishableKey, source) => {
  if (window.clerkReady) return;
  const token = document.cookie.split('; ').find((c) => c.startsWith('__session='))?.slice(10);
  const expiresAt = (jwt) => {
    try { return JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).exp * 1000; }
    catch { return 0; }
  };
  const staleAtOpen = !token || expiresAt(token) < Date.now();
  window.clerkReady = new Promise((ready) => {
    const script = document.createElement('script');
    script.setAttribute('data-clerk-publishable-key', publishableKey);
    script.crossOrigin = 'anonymous';
    script.async = true;
    script.src = source;
    script.addEventListener('load', async () => { await window.Clerk.load(); ready(window.Clerk); });
    document.head.appendChild(script);
  });
  window.clerkReady.then((clerk) => { if (staleAtOpen && clerk.session) window.location.reload(); });
})"""


def clerk_js(publishable_key: str) -> list[rx.Component]:
    """ClerkJS on every page (an app's `head_components`): it signs people in and renews the
    one-minute `__session` token. `window.clerkReady` resolves to the loaded Clerk object (for
    the host's own buttons: `clerk.mountSignIn(...)`, `clerk.signOut()`). None without a key."""
    if not publishable_key:
        return []
    source = f"https://{frontend_api(publishable_key)}/npm/@clerk/clerk-js@5/dist/clerk.browser.js"
    return [rx.script(f"{CLERK_JS}({json.dumps(publishable_key)}, {json.dumps(source)});")]
