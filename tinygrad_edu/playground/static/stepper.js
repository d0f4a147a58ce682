// The backprop stepper: walks a computation graph forward node by node, then backward
// edge by edge, showing each step's numbers on the graph's picture.
//
// It computes nothing. Every number comes from the scalar engine, in the data that
// tinygrad_edu.playground.stepper.stepper_data(root) makes: the picture (SVG, drawn by
// tinygrad_edu.viz), the Values, and the steps. This script shows step k by replaying
// steps 1..k: a forward step makes a Value's data known, a backward step sets its
// input's grad to the number the engine had right after that edge.
//
// Used by the playground page and by the stand-alone pages of viz.to_html().

"use strict";

const TinygradStepper = (function () {
  function element(tag, attributes = {}, text = "") {
    const made = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
    if (text) made.textContent = text;
    return made;
  }

  // The SVG text parsed as SVG (never as HTML), so nothing in it can run.
  function parseSvg(svgText) {
    const parsed = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const svg = parsed.documentElement;
    if (svg.nodeName !== "svg") throw new Error("the graph's picture is not an SVG");
    return document.importNode(svg, true);
  }

  // The picture's parts by the ids viz gives them: Values v0, v1, ..., their ops'
  // ellipses op_v0, ..., and edges "v0->op_v2". A Value's box shows its name, then
  // "data ..." and "grad ...": the last two texts are the ones to update.
  function indexPicture(svg) {
    const values = new Map();
    const ops = new Map();
    const edges = new Map();
    for (const group of svg.querySelectorAll("g.node")) {
      const id = group.querySelector("title").textContent;
      const texts = group.querySelectorAll("text");
      if (id.startsWith("op_")) ops.set(id, group);
      else values.set(id, { group, data: texts[texts.length - 2], grad: texts[texts.length - 1] });
    }
    for (const group of svg.querySelectorAll("g.edge")) {
      edges.set(group.querySelector("title").textContent, group);
    }
    return { values, ops, edges };
  }

  const PHASES = { forward: "forward", seed: "backward", backward: "backward" };

  function mount(container, graph) {
    const steps = graph.steps;
    const nodes = new Map(graph.nodes.map((node) => [node.id, node]));
    container.classList.add("stepper");
    container.tabIndex = 0;
    container.replaceChildren();

    const toolbar = element("div", { class: "stepper-toolbar" });
    const buttons = {
      start: element("button", { type: "button", title: "back to the start (Home)" }, "« start"),
      back: element("button", { type: "button", title: "one step back (←)" }, "◀ back"),
      next: element("button", { type: "button", title: "one step on (→)" }, "step ▶"),
      end: element("button", { type: "button", title: "to the end (End)" }, "end »"),
    };
    for (const [name, button] of Object.entries(buttons)) button.dataset.action = name;
    const slider = element("input", {
      type: "range", min: "0", max: String(steps.length), value: "0", "aria-label": "step",
    });
    const counter = element("span", { class: "stepper-counter" });
    toolbar.append(buttons.start, buttons.back, buttons.next, buttons.end, slider, counter);
    const explanation = element("div", { class: "stepper-explanation", "aria-live": "polite" });
    const rule = element("div", { class: "stepper-rule" });
    const picture = element("div", { class: "stepper-picture" });
    const svg = parseSvg(graph.svg);
    picture.append(svg);
    container.append(toolbar, explanation, rule, picture);
    const parts = indexPicture(svg);

    let current = 0;
    let grads = new Map();

    // Scroll the picture (not the page) so that `group` is in its middle.
    function centre(group) {
      const box = group.getBoundingClientRect();
      const view = picture.getBoundingClientRect();
      picture.scrollLeft += box.left + box.width / 2 - (view.left + view.width / 2);
      picture.scrollTop += box.top + box.height / 2 - (view.top + view.height / 2);
    }

    function mark(group, name) {
      if (group) group.classList.add(name);
    }

    // The edges of the picture between input and node: input -> node's op -> node.
    function markEdge(inputId, nodeId, name) {
      mark(parts.edges.get(`${inputId}->op_${nodeId}`), name);
      mark(parts.edges.get(`op_${nodeId}->${nodeId}`), name);
      mark(parts.ops.get(`op_${nodeId}`), name);
    }

    function show(stepNumber) {
      current = Math.max(0, Math.min(steps.length, stepNumber));
      const known = new Set(graph.nodes.filter((node) => node.op === "").map((node) => node.id));
      grads = new Map();
      for (const step of steps.slice(0, current)) {
        if (step.kind === "forward") known.add(step.node);
        else if (step.kind === "seed") grads.set(step.node, step);
        else grads.set(step.input, step);
      }
      for (const [id, part] of parts.values) {
        const node = nodes.get(id);
        if (part.data) part.data.textContent = known.has(id) ? `data ${node.data}` : "data ?";
        if (part.grad) part.grad.textContent = `grad ${grads.has(id) ? grads.get(id).grad : "0"}`;
        part.group.classList.toggle("is-unknown", !known.has(id));
      }
      for (const marked of svg.querySelectorAll(".is-current, .is-input")) {
        marked.classList.remove("is-current", "is-input");
      }
      const step = steps[current - 1];
      if (step === undefined) {
        explanation.textContent =
          "The leaves (inputs and parameters) are known. Step forward to compute each " +
          "Value from its inputs, then backward to send each gradient down its edges.";
        rule.textContent = "";
      } else {
        explanation.textContent = step.text;
        rule.textContent = step.rule || "";
        mark(parts.values.get(step.node)?.group, "is-current");
        if (step.kind === "forward") {
          for (const input of step.inputs) {
            mark(parts.values.get(input)?.group, "is-input");
            markEdge(input, step.node, "is-current");
          }
        } else if (step.kind === "backward") {
          mark(parts.values.get(step.input)?.group, "is-input");
          markEdge(step.input, step.node, "is-current");
        }
        // Keep the step's op (where the edges meet) in the middle of the picture.
        const focus = parts.ops.get(`op_${step.node}`) || parts.values.get(step.node)?.group;
        if (focus) centre(focus);
      }
      const phase = step === undefined ? "start" : PHASES[step.kind];
      counter.textContent = `step ${current} of ${steps.length} · ${phase}`;
      slider.value = String(current);
      buttons.start.disabled = buttons.back.disabled = current === 0;
      buttons.next.disabled = buttons.end.disabled = current === steps.length;
      container.dataset.step = String(current);
      container.dataset.phase = current === steps.length ? "done" : phase;
      container.dispatchEvent(new CustomEvent("stepper-step", { detail: { step: current } }));
    }

    const moves = {
      start: () => show(0),
      back: () => show(current - 1),
      next: () => show(current + 1),
      end: () => show(steps.length),
    };
    toolbar.addEventListener("click", (event) => {
      const action = event.target.closest("button")?.dataset.action;
      if (action) moves[action]();
    });
    slider.addEventListener("input", () => show(Number(slider.value)));
    container.addEventListener("keydown", (event) => {
      const keys = { ArrowRight: "next", ArrowLeft: "back", Home: "start", End: "end" };
      if (keys[event.key] && event.target.tagName !== "INPUT") {
        event.preventDefault();
        moves[keys[event.key]]();
      }
    });
    // A click on a Value's box tells the page which Value was chosen.
    svg.addEventListener("click", (event) => {
      const group = event.target.closest("g.node");
      const id = group?.querySelector("title").textContent;
      if (id && parts.values.has(id)) {
        container.dispatchEvent(new CustomEvent("stepper-select", { detail: { node: nodes.get(id) } }));
      }
    });

    show(0);
    return {
      show,
      get step() { return current; },
      get count() { return steps.length; },
      // The Value's grad after the steps shown so far, as the engine had it (exact), or 0.
      grad(id) { return grads.has(id) ? grads.get(id).grad_exact : 0; },
      // Whether the steps shown so far have reached the Value's last backward edge.
      isFinal(id) {
        const last = steps.map((step) => step.input).lastIndexOf(id);
        return current > last;
      },
    };
  }

  return { mount };
})();
