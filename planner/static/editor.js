// Live preview of the Markdown editor: the server renders and sanitises; we only show its answer.
(function () {
  const script = document.currentScript;
  const url = script.dataset.previewUrl;
  const form = document.querySelector("form.editor");
  if (!form) return;
  const body = form.querySelector("#body_md");
  const preview = document.getElementById("preview");
  const problems = document.getElementById("preview-problems");
  let timer = null;
  let seq = 0;
  async function refresh() {
    const mine = ++seq;
    const data = new FormData();
    for (const name of ["csrf_token", "title", "headline", "link", "channel", "body_md", "message_id"]) {
      const el = form.elements[name];
      if (el) data.append(name, el.value);
    }
    try {
      const res = await fetch(url, { method: "POST", body: data, headers: { "X-CSRFToken": data.get("csrf_token") } });
      if (!res.ok || mine !== seq) return;
      const json = await res.json();
      if (typeof json.post === "string") { // online post: the exact text the platform will receive
        const post = document.createElement("div");
        post.className = "post-preview";
        post.textContent = json.post;
        preview.replaceChildren(post, ...extras(json));
      } else {
        preview.innerHTML = json.html; // already sanitised by the server (allow-list)
      }
      problems.replaceChildren(...json.problems.map((p) => { const li = document.createElement("li"); li.textContent = p; return li; }));
    } catch (e) { /* offline: keep the last preview */ }
  }
  // Pictures and Facebook's link card beside the post text (built as elements: nothing is parsed as HTML).
  function extras(json) {
    const out = [];
    if (json.images && json.images.length) {
      const box = document.createElement("div");
      box.className = "post-images";
      for (const image of json.images) {
        const img = document.createElement("img");
        img.src = image.url;
        img.alt = image.alt;
        box.append(img);
      }
      out.push(box);
    }
    if (json.card) {
      const card = document.createElement("div");
      card.className = "link-card";
      const domain = document.createElement("span");
      domain.className = "link-card-domain";
      domain.textContent = json.card.domain.toUpperCase();
      const title = document.createElement("strong");
      title.className = "link-card-title";
      title.textContent = json.card.title;
      card.append(domain, title);
      out.push(card);
    }
    if (json.link_note) {
      const note = document.createElement("p");
      note.className = "muted small link-note";
      note.textContent = json.link_note;
      out.push(note);
    }
    return out;
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 250); }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  refresh();
})();
