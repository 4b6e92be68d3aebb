// The resend button's countdown, ticked in the page: the server sends the wait once (the
// seconds left when the code went out, and a serial naming that countdown); the button says
// "Resend code (N s)" and stays disabled until the wait is over, then says "Resend code".
// The deadline is kept in sessionStorage under the countdown's serial, so a reload, or the
// dialog closed and opened again, goes on from where it was rather than from the start.
import { createElement, useEffect, useMemo, useState } from "react";
import { Button } from "@radix-ui/themes";

function deadlineOf(seconds, serial, storeKey) {
  if (!(seconds > 0)) return 0;
  const key = "mfa-resend:" + storeKey;
  try {
    const [kept, deadline] = JSON.parse(window.sessionStorage.getItem(key) || "[]");
    if (kept === serial && deadline > 0) return deadline;
    const fresh = Date.now() + seconds * 1000;
    window.sessionStorage.setItem(key, JSON.stringify([serial, fresh]));
    return fresh;
  } catch {
    return Date.now() + seconds * 1000;
  }
}

export function ResendButton({ waitSeconds, waitSerial, storeKey, label, counting, disabled, children, ...props }) {
  const deadline = useMemo(() => deadlineOf(waitSeconds, waitSerial, storeKey), [waitSeconds, waitSerial, storeKey]);
  const [, tick] = useState(0);
  const left = deadline - Date.now();
  const seconds = left > 0 ? Math.ceil(left / 1000) : 0;
  useEffect(() => {
    if (seconds <= 0) return undefined;
    // Wake when the shown number changes (the next whole second of the wait).
    const timer = setTimeout(() => tick((n) => n + 1), (left % 1000 || 1000) + 5);
    return () => clearTimeout(timer);
  });
  const text = label == null ? children : counting && seconds > 0 ? `${label} (${seconds} s)` : label;
  return createElement(Button, { ...props, disabled: Boolean(disabled) || seconds > 0 }, text);
}
