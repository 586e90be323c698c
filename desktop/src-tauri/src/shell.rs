//! What only a real desktop has: the tray icon and its menu, system
//! notifications, one instance per user (a second launch hands its
//! `ferry://` link to the first and exits), and start at login.

use tauri::{
    AppHandle, Manager, Window, WindowEvent, Wry,
    menu::{Menu, MenuItem, PredefinedMenuItem},
    tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent},
};
use tauri_plugin_deep_link::DeepLinkExt;
use tauri_plugin_notification::NotificationExt;
use tauri_specta::Event as _;

use crate::{AppState, Hooks, events::ShellEvent, open_links};

/// The argument start at login passes: start in the tray, window hidden.
pub const HIDDEN_ARG: &str = "--hidden";

/// The URL scheme of links that open a ticket in the app.
pub const SCHEME: &str = "ferry";

/// The plugins of the real app. The single-instance plugin comes first, so
/// that a second launch exits before it does anything else.
pub fn plugins(builder: tauri::Builder<Wry>) -> tauri::Builder<Wry> {
    builder
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            // On Linux and Windows a link starts the app with it as argument.
            show_window(app);
            open_links(
                app,
                argv.into_iter().skip(1).filter_map(|a| link_ticket(&a)),
            );
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
}

/// The ticket a `ferry://` link (or a bare ticket argument) carries; None
/// for arguments that are no ticket at all.
pub fn link_ticket(arg: &str) -> Option<String> {
    let ticket = ferry_core::link_payload(arg);
    ferry_core::ticket_kind(&ticket)
        .map(|_| ticket)
        .filter(|t| t.len() > 8 && t.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Start at login, for this executable.
pub fn autostart() -> Option<auto_launch::AutoLaunch> {
    let exe = std::env::current_exe().ok()?;
    auto_launch::AutoLaunchBuilder::new()
        .set_app_name("Ferry")
        .set_app_path(&exe.display().to_string())
        .set_args(&[HIDDEN_ARG])
        .build()
        .ok()
}

/// The tray's menu items that change.
struct Tray {
    icon: TrayIcon,
    status: MenuItem<Wry>,
}

/// Runs once the app exists: the tray, the links the app was started
/// with, a hidden start, and the hooks that notify and update the tray.
pub fn setup(app: &mut tauri::App<Wry>) -> Option<Hooks<Wry>> {
    let handle = app.handle().clone();
    match build_tray(&handle) {
        Ok(tray) => {
            app.manage(tray);
        }
        Err(e) => tracing::warn!("no tray icon: {e}"),
    }
    if std::env::args().any(|a| a == HIDDEN_ARG)
        && let Some(window) = handle.get_webview_window("main")
    {
        let _ = window.hide();
    }
    let links = handle.deep_link();
    let from_args = std::env::args().skip(1).filter_map(|a| link_ticket(&a));
    let at_start: Vec<String> = links
        .get_current()
        .ok()
        .flatten()
        .unwrap_or_default()
        .iter()
        .filter_map(|u| link_ticket(u.as_str()))
        .chain(from_args)
        .collect();
    open_links(&handle, at_start);
    let for_links = handle.clone();
    links.on_open_url(move |event| {
        show_window(&for_links);
        open_links(
            &for_links,
            event.urls().iter().filter_map(|u| link_ticket(u.as_str())),
        );
    });
    Some(Hooks {
        notify: Box::new(|app, notice| {
            if let Err(e) = app
                .notification()
                .builder()
                .title(&notice.title)
                .body(&notice.body)
                .show()
            {
                tracing::debug!("notification not shown: {e}");
            }
        }),
        status: Box::new(|app, status| {
            if let Some(tray) = app.try_state::<Tray>() {
                let _ = tray.status.set_text(&status);
                let _ = tray.icon.set_tooltip(Some(format!("Ferry — {status}")));
            }
        }),
    })
}

const MENU_OPEN: &str = "open";
const MENU_SEND: &str = "send";
const MENU_PAIR: &str = "pair";
const MENU_INBOX: &str = "inbox";
const MENU_QUIT: &str = "quit";

fn build_tray(app: &AppHandle<Wry>) -> tauri::Result<Tray> {
    let status = MenuItem::with_id(app, "status", "Ready to receive", false, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, MENU_OPEN, "Open Ferry", true, None::<&str>)?,
            &MenuItem::with_id(app, MENU_SEND, "Send files…", true, None::<&str>)?,
            &MenuItem::with_id(app, MENU_PAIR, "Pair a phone…", true, None::<&str>)?,
            &MenuItem::with_id(app, MENU_INBOX, "Inbox", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, MENU_QUIT, "Quit Ferry", true, None::<&str>)?,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("ferry")
        .menu(&menu)
        .tooltip("Ferry — Ready to receive")
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| on_menu(app, event.id.as_ref()))
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let icon = builder.build(app)?;
    Ok(Tray { icon, status })
}

fn on_menu(app: &AppHandle<Wry>, id: &str) {
    let go = |screen: &str, action: Option<&str>| {
        show_window(app);
        let _ = ShellEvent::Navigate {
            screen: screen.to_string(),
            action: action.map(str::to_string),
        }
        .emit(app);
    };
    match id {
        MENU_OPEN => show_window(app),
        MENU_SEND => go("home", Some("choose_files")),
        MENU_PAIR => go("devices", Some("pair")),
        MENU_INBOX => go("inbox", None),
        MENU_QUIT => app.exit(0),
        _ => {}
    }
}

/// Brings the main window back: shown, restored and focused.
pub fn show_window(app: &AppHandle<Wry>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Closing the window keeps Ferry running in the tray (when there is one
/// and the setting is on), so that offers still arrive.
pub fn on_window_event(window: &Window<Wry>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        let app = window.app_handle();
        let keep = app.try_state::<Tray>().is_some()
            && app
                .try_state::<AppState>()
                .is_some_and(|s| s.settings().close_to_tray);
        if keep {
            api.prevent_close();
            let _ = window.hide();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_bare_tickets_give_the_ticket() {
        let t = "ferrypairabcdefgh234567";
        assert_eq!(link_ticket(&format!("ferry://{t}")).as_deref(), Some(t));
        assert_eq!(link_ticket(&format!("ferry://{t}/")).as_deref(), Some(t));
        assert_eq!(link_ticket(&format!("ferry:{t}")).as_deref(), Some(t));
        assert_eq!(link_ticket(&format!(" {t} ")).as_deref(), Some(t));
        assert_eq!(link_ticket("blobabcdefgh").as_deref(), Some("blobabcdefgh"));
        assert_eq!(link_ticket("--hidden"), None);
        assert_eq!(link_ticket("ferry://"), None);
        assert_eq!(link_ticket("ferry://ferry?x=<script>"), None);
        assert_eq!(link_ticket("https://example.org"), None);
    }
}
