import { mount } from "svelte";
import "./theme.css";
import "./app.css";
import App from "./App.svelte";
import { applyTheme, theme } from "./state/theme.svelte";

// The theme goes on before the first paint, so a dark system never flashes white.
applyTheme(theme.resolved);

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");

export default mount(App, { target });
