# Platform texts of the bot-gateway: buttons, flood limit and exchange rates (not part of any one flow).

# A pressed button whose data is not valid (forged, damaged, or made for another user). Shown as an alert.
platform-button-invalid = This button is not valid. Please use the buttons of the latest menu.
# A button that was already used (a second press of the same confirmation).
platform-button-already-done = Already done: this button was used before, nothing was changed.
# A second press while the first one is still being handled.
platform-button-in-progress = This button is already being handled; nothing more was done.
# A button from an older menu; the current menu follows.
platform-button-outdated = This menu is out of date. Here is the current one.
# A button older than the bot accepts (BOT_BUTTON_MAX_AGE_S, a week by default); nothing was done, the current menu follows.
platform-button-expired = This button has expired and nothing was done. Here is the current menu; please start again from it.
# Sent once when a user sends too many messages or presses in a short time; later ones are ignored for a while.
platform-slow-down = You are sending messages too fast. Please wait a few seconds; I will ignore messages until then.
# The fiat value of a balance, for display only.
platform-fiat-value = ≈ { $value } { $fiat }
# The same, when the rate could not be refreshed recently: shows how old the rate is.
platform-fiat-value-stale = ≈ { $value } { $fiat } (rate from { $minutes } min ago)
# No exchange rate is known yet.
platform-fiat-value-unknown = Exchange rate not available right now.
