// Behaviour pages declare with data attributes: the Content-Security-Policy allows no inline scripts or styles.
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("select[data-autosubmit]")) {
    el.addEventListener("change", () => el.form.submit());
  }
  for (const el of document.querySelectorAll("[data-bar-width]")) {
    el.style.width = `${Math.max(0, Math.min(100, Number(el.dataset.barWidth) || 0))}%`;
  }
});
// A page following a job of the worker (data-refresh-seconds) reloads itself until the job is done.
document.addEventListener("DOMContentLoaded", () => {
  const el = document.querySelector("[data-refresh-seconds]");
  if (el) {
    const seconds = Math.max(1, Number(el.dataset.refreshSeconds) || 3);
    setTimeout(() => window.location.reload(), seconds * 1000);
  }
});
