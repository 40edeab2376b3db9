// Behaviour pages declare with data attributes: the Content-Security-Policy allows no inline scripts or styles.
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("select[data-autosubmit]")) {
    el.addEventListener("change", () => el.form.submit());
  }
  for (const el of document.querySelectorAll("[data-bar-width]")) {
    el.style.width = `${Math.max(0, Math.min(100, Number(el.dataset.barWidth) || 0))}%`;
  }
});
