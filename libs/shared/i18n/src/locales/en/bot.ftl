# The bot's screens and dialogs (bot-gateway). Amounts arrive formatted ("12.5"), never as numbers.

## Start, language, menu
start-welcome = Welcome to Strongbox, { $name }! Your wallet is being opened; the menu is below.
start-welcome-back = Welcome back, { $name }!
start-recovery-code =
    Your recovery code: { $code }
    Write it down and keep it private. If you lose access to this Telegram account, send /recover with this code from your new account. It is shown only once.
language-choose = Choose your language:
language-changed = Language set: English.
menu-title = What would you like to do?
menu-balance = 💰 Balance
menu-deposit = 📥 Deposit
menu-withdraw = 📤 Withdraw
menu-transfer = 🔁 Send to a user
menu-plans = 📈 Savings plans
menu-referral = 🎁 Invite friends
menu-support = 🛟 Support
menu-language = 🌐 Language
menu-back = ⬅️ Menu
menu-command-start = Open the wallet
menu-command-menu = Main menu
menu-command-balance = Balance and history
menu-command-deposit = Deposit address
menu-command-withdraw = Withdraw
menu-command-transfer = Send to another wallet
menu-command-plans = Savings plans
menu-command-referral = Invite friends
menu-command-support = Support
menu-command-recover = Recover an account
menu-command-recovery-code = New recovery code
menu-command-language = Change language

## Refusals and degraded service
blacklisted = Your account is restricted. If you think this is a mistake, contact support with /support.
not-registered = Send /start first to open your wallet.
service-degraded = Technical works are under way. Your request is kept and will be handled as soon as the service is back; there is no need to repeat it.
withdraw-maintenance = Withdrawals are paused while the blockchain connection is under maintenance. Your balance is safe; please try again later.
withdraw-emergency-stop = All outgoing payments are stopped for safety checks. Your balance is safe; please try again later.
action-cancelled = Cancelled. Nothing was changed.
dialog-expired = This dialog has expired. Start again from the menu.

## Balance and history
balance-title = Your balance
balance-line = { $asset }: { $available } available, { $locked } in plans and pending withdrawals
history-title = History, page { $page }
history-empty = No operations yet.
history-line = { $date } · { $kind } · { $sign }{ $amount } { $asset }
history-kind-deposit = deposit
history-kind-deposit_reversal = deposit reversed
history-kind-withdrawal = withdrawal
history-kind-withdrawal_fee = withdrawal fee
history-kind-internal_transfer = transfer
history-kind-manual_adjustment = adjustment
history-kind-plan_open = plan opened
history-kind-plan_accrual = plan interest
history-kind-plan_maturity = plan returned
history-kind-referral_reward = referral reward
history-next = Older ▶️
history-previous = ◀️ Newer

## Deposit
deposit-address =
    Send { $asset } on chain { $chainId } to this address:
    { $address }
    Only { $asset } sent to this address is credited, after { $confirmations } confirmations.
deposit-address-pending = Your deposit address is being prepared. Try again in a minute.
deposit-qr-caption = Deposit address: { $address }
deposit-claim = 🔎 I have sent a deposit
deposit-claim-ask = Send the transaction hash (0x followed by 64 hex digits).
deposit-claim-confirmed = This deposit is confirmed and credited.
deposit-claim-awaiting = Seen on the chain; waiting for confirmations. You will get a message when it is credited.
deposit-claim-pending-network = The network is not reachable right now. Your claim is kept and checked as soon as it returns.
deposit-claim-not-found = Not found yet. We keep checking this transaction and will tell you when it arrives.
deposit-claim-dust = This amount is below the minimum deposit and is not credited.

## Withdrawal dialog
withdraw-ask-amount = How much { $asset } do you want to withdraw? Available: { $available } { $asset }. Limits: { $min } to { $max } per withdrawal.
withdraw-ask-address = Send the address to withdraw to (0x…).
withdraw-confirm =
    Please check the withdrawal:
    Amount: { $amount } { $asset }
    Fee: { $fee } { $asset }
    Total debited: { $total } { $asset }
    To: { $address }
    Limits: { $min } to { $max } per withdrawal, { $daily } per 24 hours.
withdraw-confirm-button = ✅ Confirm
withdraw-cancel-button = ✖️ Cancel
withdraw-requested = Withdrawal accepted: { $amount } { $asset } to { $address }. You will get a message at each step.
withdraw-awaiting-approval = Withdrawal accepted: { $amount } { $asset }. It needs a manual check before it is sent; you will get a message.
withdraw-insufficient = Not enough funds: { $available } { $asset } available, { $total } { $asset } needed with the fee.
withdraw-below-minimum = The minimum withdrawal is { $min } { $asset }.
withdraw-above-maximum = The maximum withdrawal is { $max } { $asset }.
withdraw-daily-limit = This would exceed your 24-hour limit of { $daily } { $asset }.
withdraw-refused = The withdrawal was refused. Please contact support with /support.

## Internal transfer
transfer-ask-recipient = Send the recipient's wallet code (they find it under “Invite friends”).
transfer-recipient-unknown = No wallet has this code. Check it and send it again.
transfer-recipient-self = That is your own wallet.
transfer-ask-amount = How much { $asset } do you want to send? Available: { $available } { $asset }.
transfer-confirm = Send { $amount } { $asset } to wallet { $recipient }?
transfer-done = Sent { $amount } { $asset } to wallet { $recipient }.
transfer-recipient-empty = Send the recipient's wallet code.
transfer-recipient-format = A wallet code is 9 letters, digits, “-” or “_”, for example Ab3-x_9Qz.
transfer-insufficient = Not enough funds: { $available } { $asset } available.
transfer-emergency-stop = Transfers are halted for safety right now. Your funds are safe; please try later.
transfer-refused = The transfer was refused. Please contact support with /support.

## Plans
plans-title = Savings plans
plans-empty = No plans are open for new deposits right now.
plans-line = { $name }: { $rate }% a year for { $days } days, { $min } to { $max } { $asset }
plans-disabled-until = { $name } is paused until { $until }.
plans-open-button = Open { $name }
plans-ask-amount = How much { $asset } do you want to put into { $name }? Available: { $available } { $asset }.
plans-opened = Opened { $name } with { $amount } { $asset }. It matures on { $maturity }.
plans-my-title = Your plan deposits
plans-my-line = { $name }: { $amount } { $asset }, interest so far { $accrued } { $asset }, matures { $maturity }
plans-my-empty = You have no plan deposits.
plans-my-button = My deposits
plans-my-line-matured = { $name }: { $amount } { $asset } returned on { $maturity }, interest { $accrued } { $asset }
plans-amount-limit = { $name } takes { $min } to { $max } { $asset }.
plans-insufficient = Not enough funds: { $available } { $asset } available.
plans-confirm = Put { $amount } { $asset } into { $name } at { $rate }% a year for { $days } days? The money is locked until the end of the term.
plans-terms-changed = The terms of { $name } have changed. Open the plans again to see the current ones.

## Referral
referral-info =
    Invite friends with your link:
    { $link }
    You get { $reward } { $asset } when an invited friend's first deposit is credited.
    Your wallet code: { $code }
referral-stats = Friends invited: { $invited }. Rewards received: { $rewards }.
referral-info-no-reward =
    Invite friends with your link:
    { $link }
    Your wallet code: { $code }
referral-no-code = Your wallet has no code yet. Please contact support with /support.

## Support
support-menu = Support
support-new = ✉️ New request
support-list = 📋 My requests
support-ask-category = What is it about?
support-category-deposit = Deposit
support-category-withdrawal = Withdrawal
support-category-account = Account
support-category-other = Something else
support-ask-description = Describe the problem in a few sentences (10 to 2,000 characters).
support-ask-contact = How else can we reach you (e-mail or phone)? Send “-” to skip.
support-created = Request #{ $number } is open. We will write to you here.
support-list-empty = You have no support requests.
support-list-line = #{ $number } · { $category } · { $status }
support-cancel-button = Cancel #{ $number }
support-status-new = new
support-status-in_progress = in progress
support-status-resolved = resolved
support-status-closed = closed
support-status-cancelled = cancelled
support-cancelled = Request #{ $number } is cancelled.
support-cannot-cancel = Request #{ $number } can no longer be cancelled.
support-choose-category = Choose a category with the buttons above.
support-description-invalid = The description must be { $min } to { $max } characters of plain text.
support-contact-invalid = The contact must be { $min } to { $max } characters of plain text, or “-” to skip.

## Account recovery
recover-ask-code = Send your recovery code (16 characters, e.g. ABCD-EFGH-JKMN-PQRS).
recover-requested = Your request is received. An administrator will check it; you will get a message with the decision.
recover-code-invalid = This recovery code is not valid.
recover-already-registered = This Telegram account already has a wallet; recovery moves a wallet only to a new account.
recover-conflict = Another account has already asked to recover this wallet.
recovery-code-new = Your new recovery code: { $code }. The old one no longer works. It is shown only once.
recovery-code-confirm = A new recovery code replaces your current one, which stops working. Continue?
recovery-code-confirm-button = 🔑 New code

## Input errors
input-too-long = That is too long: at most { $max } characters.
input-amount-empty = Send an amount, for example 12.5
input-amount-negative = The amount must be positive.
input-amount-zero = The amount must be greater than zero.
input-amount-decimals = At most { $decimals } digits after the point for { $asset }.
input-amount-too-large = That amount is too large.
input-amount-exponent = Write all digits out, for example 1000 rather than 1e3.
input-amount-comma = Use a point for decimals and no thousands separators, for example 1000.5
input-amount-digits = Use the digits 0-9, for example 12.5
input-amount-spaces = Write the number without spaces, for example 1000
input-amount-not-number = That is not an amount. Send a number like 12.5
input-address-empty = Send an address.
input-address-format = An address is 0x followed by 40 hex digits.
input-address-checksum = This address has a wrong checksum: probably a typo. Copy it again.
input-address-zero = This address burns funds; send another one.
input-tx-hash-empty = Send a transaction hash.
input-tx-hash-format = A transaction hash is 0x followed by 64 hex digits.
input-text-invalid = Please send plain text within the allowed length.
input-expected-text = Please answer with a text message.
