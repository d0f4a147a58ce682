// The playground page: controls, pictures, and the conversation with the server.
//
// Everything it shows is computed on the server by tinygrad_edu (see server.py): this
// script sends the set-up, asks for epochs of training, and draws what comes back.
// The set-up lives in the page's address (#dataset=spirals&hidden=8,8&...), so that a
// link reproduces an experiment exactly.

"use strict";

const CLASS_COLOURS = [[245, 147, 34], [8, 119, 189], [22, 163, 74]]; // orange, blue, green
const NEGATIVE = [245, 147, 34];
const POSITIVE = [8, 119, 189];
const CLICK_RADIUS = 10; // pixels: how near a click must be to a point to choose it

const page = {
  options: null, // what the server offers (GET /api/options)
  config: null, // the set-up now shown
  state: null, // the session's latest state
  session: null,
  playing: false,
  epochsPerRequest: 1,
  queue: Promise.resolve(), // requests run one after another, never two at once
  stepper: null,
  point: null, // the clicked point's data (POST .../point)
};

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------- talking to the server

class ServerError extends Error {}

async function request(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ServerError("the playground's server does not answer: is it still running?");
  }
  const answer = await response.json();
  if (!response.ok) throw new ServerError(answer.error || `the server answered ${response.status}`);
  return answer;
}

// Run fn after every request queued before it has finished.
function queued(fn) {
  const run = page.queue.then(fn);
  page.queue = run.catch(() => {});
  return run;
}

function sessionPath(end = "") {
  return `/api/sessions/${page.session}${end}`;
}

function showMessage(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = !text;
}

function reportErrors(promise) {
  return promise.catch((error) => {
    if (!(error instanceof ServerError)) console.error(error);
    showMessage(error.message);
    stopPlaying();
  });
}

// ---------------------------------------------------------------------- the set-up in the address

function configToHash(config) {
  const parts = Object.entries(config).map(([key, value]) =>
    `${key}=${Array.isArray(value) ? value.join(",") : value}`);
  return "#" + parts.join("&");
}

// The set-up the address asks for, each value read as the defaults' type says. Unknown
// keys are passed on, so that the server can say what is wrong with them.
function hashToConfig(hash, defaults) {
  const config = {};
  for (const part of hash.replace(/^#/, "").split("&")) {
    if (!part) continue;
    const [key, raw = ""] = part.split("=").map(decodeURIComponent);
    const example = defaults[key];
    if (Array.isArray(example)) {
      const items = raw === "" ? [] : raw.split(",");
      config[key] = key === "hidden" ? items.map(Number) : items;
    } else if (typeof example === "number") {
      config[key] = raw === "" ? NaN : Number(raw);
    } else {
      config[key] = raw;
    }
  }
  return config;
}

function saveHash() {
  history.replaceState(null, "", configToHash(page.config));
}

// ---------------------------------------------------------------------- sessions and training

async function startSession(config, csv) {
  const body = { config };
  if (csv !== undefined) body.csv = csv;
  const state = page.session
    ? await request("POST", sessionPath("/reset"), body)
    : await request("POST", "/api/sessions", body);
  page.session = state.session;
  document.body.dataset.session = state.session;
  showState(state);
  return state;
}

function changeConfig(changes, csv) {
  const config = { ...page.config, ...changes };
  closePoint();
  return reportErrors(queued(async () => {
    await startSession(config, csv);
    showMessage("");
  }));
}

async function trainEpochs(epochs) {
  const started = performance.now();
  const update = await request("POST", sessionPath("/train"), { epochs });
  const { train_losses: trainLosses, test_losses: testLosses, ...picture } = update;
  const state = page.state;
  state.train_losses.push(...trainLosses);
  state.test_losses.push(...testLosses);
  Object.assign(state, picture);
  drawTraining();
  if (update.diverged_at !== null) {
    stopPlaying();
    showMessage(`The loss became infinite or not a number at epoch ${update.diverged_at}: ` +
      "the steps are too big. Lower the learning rate, then reset.");
  }
  return performance.now() - started;
}

// How many epochs one request asks for: as many as fit in a tenth to a third of a
// second, so that the pictures move smoothly however fast the network trains.
function adaptEpochs(milliseconds) {
  // The server says how many epochs of this set-up one request may train (cost.py);
  // when not even one, asking for one brings its message saying what to change.
  const most = Math.max(1, page.state.epochs_per_request);
  if (milliseconds < 100) page.epochsPerRequest = Math.min(most, page.epochsPerRequest * 2);
  else if (milliseconds > 330) page.epochsPerRequest = Math.max(1, Math.floor(page.epochsPerRequest / 2));
  page.epochsPerRequest = Math.min(page.epochsPerRequest, most);
}

async function playLoop() {
  while (page.playing) {
    const milliseconds = await queued(() => trainEpochs(page.epochsPerRequest));
    adaptEpochs(milliseconds);
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}

function startPlaying() {
  if (page.playing || page.state.diverged_at !== null) return;
  page.playing = true;
  $("play").textContent = "pause";
  $("play").classList.add("playing");
  reportErrors(playLoop());
}

function stopPlaying() {
  page.playing = false;
  $("play").textContent = "play";
  $("play").classList.remove("playing");
}

// ---------------------------------------------------------------------- drawing the state

function showState(state) {
  page.state = state;
  page.config = state.config;
  page.epochsPerRequest = 1;
  saveHash();
  showControls();
  drawNetwork();
  drawTraining();
  $("export-model").href = sessionPath("/export/model");
  $("export-script").href = sessionPath("/export/script");
}

function drawTraining() {
  const state = page.state;
  $("epoch").textContent = String(state.epoch).padStart(6, "0");
  $("train-loss").textContent = formatLoss(state.train_losses.at(-1));
  $("test-loss").textContent = formatLoss(state.test_losses.at(-1));
  document.body.dataset.epoch = state.epoch;
  document.body.dataset.testLoss = state.test_losses.at(-1) ?? "NaN";
  drawLossChart();
  if (state.boundary) {
    drawBoundary();
    drawNeuronPictures();
    drawLinks();
  }
}

function formatLoss(loss) {
  return loss === null || loss === undefined ? "not a number" : loss.toFixed(3);
}

function showControls() {
  const config = page.config;
  for (const control of document.querySelectorAll("[data-setting]")) {
    const value = config[control.dataset.setting];
    if (control.tagName === "SELECT" && ![...control.options].some((o) => o.value === String(value))) {
      control.append(new Option(String(value)));
    }
    control.value = String(value);
  }
  $("batch_size_shown").textContent = config.batch_size;
  $("noise_shown").textContent = config.noise;
  $("points_shown").textContent = config.points;
  $("test_fraction_shown").textContent = `${Math.round(config.test_fraction * 100)}%`;
  for (const button of document.querySelectorAll("[data-dataset]")) {
    const chosen = button.dataset.dataset === config.dataset;
    button.classList.toggle("chosen", chosen);
    button.setAttribute("aria-checked", String(chosen));
  }
  for (const box of document.querySelectorAll("[data-feature]")) {
    box.checked = config.features.includes(box.dataset.feature);
  }
  const layers = config.hidden.length;
  $("layer-count").textContent = `${layers} hidden layer${layers === 1 ? "" : "s"}`;
  $("remove-layer").disabled = layers === 0;
  $("add-layer").disabled = layers === page.options.limits.hidden_layers;
  drawLegend();
}

function drawLegend() {
  const legend = $("legend");
  legend.replaceChildren();
  for (let label = 0; label < page.state.classes; label++) {
    const item = document.createElement("span");
    const swatch = document.createElement("span");
    swatch.className = `swatch class-${label}`;
    item.append(swatch, ` class ${label}`);
    legend.append(item);
  }
}

// A colour between white and `colour`, `amount` from 0 (white) to 1.
function tint(colour, amount) {
  return colour.map((channel) => Math.round(255 + (channel - 255) * amount));
}

function paintGrid(canvas, size, colourOf) {
  const context = canvas.getContext("2d");
  const image = context.createImageData(size, size);
  for (let cell = 0; cell < size * size; cell++) {
    const [red, green, blue] = colourOf(cell);
    image.data.set([red, green, blue, 255], cell * 4);
  }
  const small = document.createElement("canvas");
  small.width = small.height = size;
  small.getContext("2d").putImageData(image, 0, 0);
  context.drawImage(small, 0, 0, canvas.width, canvas.height);
}

// Each cell tinted toward its likeliest class, the more the surer the network is.
function regionColour(probabilities, cell) {
  let best = 0;
  for (let label = 1; label < probabilities.length; label++) {
    if (probabilities[label][cell] > probabilities[best][cell]) best = label;
  }
  const chance = 1 / probabilities.length;
  const sureness = (probabilities[best][cell] - chance) / (1 - chance);
  return tint(CLASS_COLOURS[best], 0.65 * sureness);
}

function drawBoundary() {
  const canvas = $("boundary");
  const { size, classes } = page.state.boundary;
  paintGrid(canvas, size, (cell) => regionColour(classes, cell));
  const context = canvas.getContext("2d");
  const showTest = $("show-test").checked;
  const sets = showTest ? ["train", "test"] : ["train"];
  for (const split of sets) {
    for (const [x1, x2, label] of page.state.points[split]) {
      const [x, y] = toCanvas(x1, x2);
      context.beginPath();
      context.arc(x, y, 3.2, 0, 2 * Math.PI);
      context.fillStyle = `rgb(${CLASS_COLOURS[label].join(",")})`;
      context.fill();
      context.lineWidth = split === "test" ? 1.5 : 1;
      context.strokeStyle = split === "test" ? "#111" : "#fff";
      context.stroke();
    }
  }
  if (page.point) {
    const [x, y] = toCanvas(page.point.point.x1, page.point.point.x2);
    context.beginPath();
    context.arc(x, y, 7, 0, 2 * Math.PI);
    context.lineWidth = 2.5;
    context.strokeStyle = "#dc2626";
    context.stroke();
  }
}

function toCanvas(x1, x2) {
  const canvas = $("boundary");
  const half = page.state.view;
  return [(x1 + half) / (2 * half) * canvas.width, (half - x2) / (2 * half) * canvas.height];
}

function drawLossChart() {
  const canvas = $("loss-chart");
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  const series = [[page.state.train_losses, "#9ca3af"], [page.state.test_losses, "#111827"]];
  const finite = series.flatMap(([losses]) => losses.filter((loss) => loss !== null));
  const top = Math.max(...finite, 1e-9);
  const count = page.state.train_losses.length;
  for (const [losses, colour] of series) {
    context.beginPath();
    losses.forEach((loss, epoch) => {
      if (loss === null) return;
      const x = count === 1 ? 0 : (epoch / (count - 1)) * canvas.width;
      const y = canvas.height - (loss / top) * (canvas.height - 4) - 2;
      if (epoch === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
    context.strokeStyle = colour;
    context.lineWidth = 1.5;
    context.stroke();
  }
}

// ---------------------------------------------------------------------- the network picture

const NEURON_SIZE = 40;
const COLUMN_GAP = 104;
const ROW_GAP = 52;

function layerSizes() {
  const outputs = page.state.classes === 2 ? 1 : page.state.classes;
  return [page.config.features.length, ...page.config.hidden, outputs];
}

function neuronPosition(layer, index) {
  return [layer * COLUMN_GAP + 70, index * ROW_GAP + 36];
}

function drawNetwork() {
  const box = $("network");
  box.replaceChildren();
  const sizes = layerSizes();
  const tallest = Math.max(...sizes);
  box.style.width = `${(sizes.length - 1) * COLUMN_GAP + 70 + NEURON_SIZE + 20}px`;
  box.style.height = `${tallest * ROW_GAP + 40}px`;
  const links = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  links.classList.add("links");
  box.append(links);
  page.config.features.forEach((name, index) => {
    const label = document.createElement("div");
    label.className = "input-name";
    label.textContent = page.state.features[index];
    const [x, y] = neuronPosition(0, index);
    label.style.left = `${x - 66}px`;
    label.style.top = `${y + NEURON_SIZE / 2 - 9}px`;
    box.append(label, neuronBox(0, index, "input"));
  });
  page.config.hidden.forEach((size, layer) => {
    const [x] = neuronPosition(layer + 1, 0);
    const controls = document.createElement("div");
    controls.className = "layer-controls";
    controls.style.left = `${x - 8}px`;
    controls.append(
      layerButton("−", "one neuron less", layer, -1),
      layerButton("+", "one neuron more", layer, +1),
    );
    box.append(controls);
    for (let index = 0; index < size; index++) box.append(neuronBox(layer + 1, index, "hidden"));
  });
  const last = sizes.length - 1;
  for (let index = 0; index < sizes[last]; index++) box.append(neuronBox(last, index, "output"));
}

function neuronBox(layer, index, kind) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = NEURON_SIZE;
  canvas.className = `neuron ${kind}`;
  canvas.dataset.layer = layer;
  canvas.dataset.index = index;
  const [x, y] = neuronPosition(layer, index);
  canvas.style.left = `${x}px`;
  canvas.style.top = `${y}px`;
  return canvas;
}

function layerButton(text, title, layer, change) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "small";
  button.textContent = text;
  button.title = title;
  const size = page.config.hidden[layer] + change;
  button.disabled = size < 1 || size > page.options.limits.neurons;
  button.addEventListener("click", () => {
    const hidden = [...page.config.hidden];
    hidden[layer] = size;
    changeConfig({ hidden });
  });
  return button;
}

// A neuron's output over the plane: tanh's range is [-1, 1]; sigmoid's [0, 1] is
// stretched to it; relu and linear outputs are scaled by their largest size.
function signedOutputs(values) {
  const activation = page.config.activation;
  if (activation === "tanh") return values;
  if (activation === "sigmoid") return values.map((value) => 2 * value - 1);
  const largest = Math.max(...values.map(Math.abs), 1e-9);
  return values.map((value) => value / largest);
}

function signedColour(value) {
  return value >= 0 ? tint(POSITIVE, 0.8 * value) : tint(NEGATIVE, -0.8 * value);
}

function featureValues(name, x1, x2) {
  const values = { x1, x2, x1sq: x1 * x1, x2sq: x2 * x2, x1x2: x1 * x2,
    sinx1: Math.sin(x1), sinx2: Math.sin(x2) };
  return values[name];
}

function drawNeuronPictures() {
  const { size, layers } = page.state.neurons;
  const half = page.state.view;
  for (const canvas of document.querySelectorAll("canvas.neuron")) {
    const layer = Number(canvas.dataset.layer);
    const index = Number(canvas.dataset.index);
    if (canvas.classList.contains("input")) {
      // An input's picture is the feature itself, drawn here (it never changes).
      const name = page.config.features[index];
      const raw = [];
      for (let cell = 0; cell < size * size; cell++) {
        const x1 = -half + (2 * half) * ((cell % size) + 0.5) / size;
        const x2 = half - (2 * half) * (Math.floor(cell / size) + 0.5) / size;
        raw.push(featureValues(name, x1, x2));
      }
      const largest = Math.max(...raw.map(Math.abs), 1e-9);
      paintGrid(canvas, size, (cell) => signedColour(raw[cell] / largest));
    } else if (canvas.classList.contains("hidden")) {
      const values = signedOutputs(layers[layer - 1][index]);
      paintGrid(canvas, size, (cell) => signedColour(values[cell]));
    } else {
      const { size: outputSize, classes } = page.state.boundary;
      paintGrid(canvas, outputSize, (cell) => regionColour(classes, cell));
    }
  }
}

function drawLinks() {
  const svg = document.querySelector("#network svg.links");
  svg.replaceChildren();
  const weights = page.state.weights;
  const largest = Math.max(...weights.flat(2).map(Math.abs), 1e-9);
  weights.forEach((matrix, layer) => {
    matrix.forEach((row, to) => {
      row.forEach((weight, from) => {
        const [x1, y1] = neuronPosition(layer, from);
        const [x2, y2] = neuronPosition(layer + 1, to);
        const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
        line.setAttribute("x1", x1 + NEURON_SIZE);
        line.setAttribute("y1", y1 + NEURON_SIZE / 2);
        line.setAttribute("x2", x2);
        line.setAttribute("y2", y2 + NEURON_SIZE / 2);
        line.setAttribute("stroke", `rgb(${(weight >= 0 ? POSITIVE : NEGATIVE).join(",")})`);
        line.setAttribute("stroke-width", (0.5 + 4.5 * Math.abs(weight) / largest).toFixed(2));
        line.setAttribute("stroke-opacity", "0.8");
        const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
        title.textContent = `W${layer + 1}[${to},${from}] = ${weight}`;
        line.append(title);
        svg.append(line);
      });
    });
  });
}

// ---------------------------------------------------------------------- one point's graph

function nearestPoint(event) {
  const canvas = $("boundary");
  const bounds = canvas.getBoundingClientRect();
  const x = (event.clientX - bounds.left) * (canvas.width / bounds.width);
  const y = (event.clientY - bounds.top) * (canvas.height / bounds.height);
  let best = null;
  const splits = $("show-test").checked ? ["train", "test"] : ["train"];
  for (const split of splits) {
    page.state.points[split].forEach(([x1, x2], index) => {
      const [px, py] = toCanvas(x1, x2);
      const distance = Math.hypot(px - x, py - y);
      if (distance <= CLICK_RADIUS && (best === null || distance < best.distance)) {
        best = { split, index, distance };
      }
    });
  }
  return best;
}

function openPoint(split, index) {
  stopPlaying();
  return reportErrors(queued(async () => {
    const answer = await request("POST", sessionPath("/point"), { split, index });
    page.point = answer;
    showPoint(answer);
    drawBoundary();
  }));
}

function showPoint(answer) {
  const { point } = answer;
  $("point-panel").hidden = false;
  $("point-heading").textContent =
    `${point.split === "train" ? "Training" : "Test"} point ${point.index}: ` +
    `(${point.x1.toFixed(3)}, ${point.x2.toFixed(3)}), class ${point.label}`;
  $("point-summary").textContent =
    `Its loss L = ${answer.loss} by the scalar engine, ${answer.tensor_loss} by the tensor ` +
    `engine. Step forward through the ${answer.graph.nodes.length} Values of its graph, then ` +
    "backward along every edge.";
  page.stepper = TinygradStepper.mount($("stepper"), answer.graph);
  const select = $("parameter");
  select.replaceChildren(...answer.parameters.map((parameter) => new Option(parameter.label)));
  explainParameter(answer.parameters[0].label);
  $("point-panel").scrollIntoView({ block: "start" });
}

function closePoint() {
  page.point = null;
  page.stepper = null;
  $("point-panel").hidden = true;
  if (page.state && page.state.boundary) drawBoundary();
}

function chosenParameter() {
  return page.point.parameters.find((parameter) => parameter.label === $("parameter").value);
}

function showAgreement() {
  const parameter = chosenParameter();
  if (!parameter || !page.stepper) return;
  const final = page.stepper.isFinal(parameter.node);
  const scalar = page.stepper.grad(parameter.node);
  $("scalar-grad").textContent = final ? String(scalar) : `${scalar} (step on: not all edges yet)`;
  $("scalar-grad").dataset.final = String(final);
  $("scalar-grad").dataset.value = String(scalar);
  $("tensor-grad").textContent = String(parameter.tensor_grad);
  $("tensor-grad").dataset.value = String(parameter.tensor_grad);
}

function explainParameter(label) {
  $("parameter").value = label;
  showAgreement();
  $("explanation").textContent = ""; // not the last parameter's, if this one fails
  const { split, index } = page.point.point;
  return reportErrors(queued(async () => {
    const answer = await request("POST", sessionPath("/explain"), { split, index, parameter: label });
    $("explanation").textContent = answer.text;
  }));
}

// ---------------------------------------------------------------------- the controls

function buildControls() {
  const options = page.options;
  const datasets = $("datasets");
  for (const [name, title] of Object.entries(options.datasets)) {
    if (name === "csv") continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "dataset";
    button.dataset.dataset = name;
    button.setAttribute("role", "radio");
    button.textContent = title;
    button.addEventListener("click", () => changeConfig({ dataset: name }));
    datasets.append(button);
  }
  const features = $("features");
  for (const [name, title] of Object.entries(options.features)) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.dataset.feature = name;
    box.addEventListener("change", () => {
      const chosen = Object.keys(options.features).filter((feature) =>
        document.querySelector(`[data-feature="${feature}"]`).checked);
      if (chosen.length === 0) {
        box.checked = true;
        showMessage("The network needs at least one input feature.");
        return;
      }
      changeConfig({ features: chosen });
    });
    label.append(box, ` ${title}`);
    features.append(label);
  }
  for (const [id, values] of [["activation", options.activations], ["optimizer", options.optimizers]]) {
    $(id).replaceChildren(...values.map((value) => new Option(value)));
  }
  for (const control of document.querySelectorAll("[data-setting]")) {
    control.addEventListener("change", () => {
      const raw = control.value;
      const value = control.dataset.type === "number" ? Number(raw) : raw;
      changeConfig({ [control.dataset.setting]: value });
    });
  }
  for (const id of ["noise", "points", "test_fraction", "batch_size"]) {
    $(id).addEventListener("input", () => {
      const value = Number($(id).value);
      $(`${id}_shown`).textContent = id === "test_fraction" ? `${Math.round(value * 100)}%` : value;
    });
  }
  $("new-seed").addEventListener("click", () =>
    changeConfig({ seed: Math.floor(Math.random() * 100000) }));
  $("add-layer").addEventListener("click", () =>
    changeConfig({ hidden: [...page.config.hidden, 2] }));
  $("remove-layer").addEventListener("click", () =>
    changeConfig({ hidden: page.config.hidden.slice(0, -1) }));
  $("play").addEventListener("click", () => (page.playing ? stopPlaying() : startPlaying()));
  $("step").addEventListener("click", () => {
    stopPlaying();
    reportErrors(queued(() => trainEpochs(1)));
  });
  $("reset").addEventListener("click", () => changeConfig({}));
  $("show-test").addEventListener("change", drawBoundary);
  $("boundary").addEventListener("click", (event) => {
    const chosen = nearestPoint(event);
    if (chosen) openPoint(chosen.split, chosen.index);
  });
  $("close-point").addEventListener("click", closePoint);
  $("parameter").addEventListener("change", () => explainParameter($("parameter").value));
  $("stepper").addEventListener("stepper-step", showAgreement);
  $("stepper").addEventListener("stepper-select", (event) => {
    const node = event.detail.node;
    if (page.point.parameters.some((parameter) => parameter.label === node.name)) {
      explainParameter(node.name);
    }
  });
  $("csv").addEventListener("change", async () => {
    const file = $("csv").files[0];
    if (!file) return;
    if (file.size > options.limits.body_bytes) {
      showMessage(`That file is ${file.size} bytes; the playground takes at most ` +
        `${options.limits.body_bytes}.`);
      return;
    }
    changeConfig({ dataset: "csv" }, await file.text());
  });
  // A new address typed or pasted in this tab (replaceState, as saveHash uses, does not
  // fire this): start again from the set-up it holds.
  window.addEventListener("hashchange", () => {
    stopPlaying();
    closePoint();
    reportErrors(queued(async () => {
      try {
        const defaults = page.options.defaults;
        await startSession({ ...defaults, ...hashToConfig(location.hash, defaults) });
        showMessage("");
      } catch (error) {
        saveHash(); // back to the set-up still shown
        throw new ServerError(`This address's set-up cannot be used: ${error.message}`);
      }
    }));
  });
  window.addEventListener("pagehide", () => {
    if (page.session) fetch(sessionPath(), { method: "DELETE", keepalive: true }).catch(() => {});
  });
}

async function main() {
  try {
    page.options = await request("GET", "/api/options");
  } catch (error) {
    showMessage(error.message);
    return;
  }
  buildControls();
  const defaults = page.options.defaults;
  try {
    const asked = { ...defaults, ...hashToConfig(location.hash, defaults) };
    await queued(() => startSession(asked));
  } catch (error) {
    // A link with a set-up the server refuses: say why, and start from the defaults.
    showMessage(`This link's set-up cannot be used: ${error.message}. Showing the defaults.`);
    await reportErrors(queued(() => startSession(defaults)));
  }
  document.body.dataset.ready = "true";
}

main();
