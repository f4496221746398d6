# Notifications the notifier sends. Variables named in { } are filled in as formatted pieces
# (amounts in bold, addresses and hashes as code) after translation; a value never changes the markup.

notify-welcome = Welcome to Strongbox! Your wallet is open and ready. Use the menu to deposit, check your balance or withdraw.

notify-deposit-detected = Incoming deposit of { $amount }. It will be credited after { $confirmations ->
    [one] { $confirmations } confirmation
   *[other] { $confirmations } confirmations
  } on the network.
notify-deposit-confirmed = Deposit of { $amount } confirmed and credited to your balance.
notify-deposit-reverted = The deposit of { $amount } was reversed by the network and has been removed from your balance. If you have questions, contact support.

notify-withdrawal-held = Withdrawal of { $amount } to { $address } accepted. Fee: { $fee }. We will let you know when it is sent.
notify-withdrawal-awaiting-approval = Withdrawal of { $amount } to { $address } is under review. An operator will check it shortly; the amount and fee are reserved until then.
notify-withdrawal-approved = Withdrawal of { $amount } approved. It is being sent to { $address }.
notify-withdrawal-completed = Withdrawal of { $amount } to { $address } completed. Transaction: { $txHash }
notify-withdrawal-failed = Withdrawal of { $amount } could not be completed ({ $reason ->
    [reverted] the network rejected the transaction
    [dropped] the transaction was dropped by the network
   *[rejected] the transaction could not be sent
  }). The amount and fee are back on your balance.
notify-withdrawal-rejected = Withdrawal of { $amount } was declined. Reason: { $reason }. The amount and fee are back on your balance.
notify-withdrawal-cancelled = Withdrawal of { $amount } cancelled. The amount and fee are back on your balance.

notify-transfer-received = You received { $amount } from another Strongbox user.

notify-plan-accrued = Savings plan interest: +{ $amount } credited. Earned so far on this deposit: { $total }.
notify-plan-matured = Your savings deposit of { $principal } has matured. The principal is back on your balance; interest earned: { $total }.

notify-referral-reward = Referral reward: { $amount }. A friend you invited made their first deposit.

notify-support-status = Support request { $request } ({ $category ->
    [deposit] deposit
    [withdrawal] withdrawal
    [account] account
   *[other] other
  }): { $status ->
    [new] received, we will answer soon
    [in_progress] an operator is working on it
    [resolved] resolved
    [closed] closed
   *[cancelled] cancelled
  }.

notify-node-down = The network is temporarily unavailable. Your pending deposits and withdrawals are safe and will continue once it is back.
notify-node-up = The network is available again. Your pending operations continue.

notify-recovery-approved-new = Account recovery approved. Your wallet now opens from this Telegram account.
notify-recovery-approved-previous = Your wallet was moved to another Telegram account at your request. This account no longer opens it. If this was not you, contact support at once.
notify-recovery-rejected-new = Account recovery was declined.{ $reason ->
    [none] {""}
   *[given] {" "}Reason: { $reasonText }
  }
notify-recovery-rejected-previous = Someone asked to move your wallet to another Telegram account; the request was declined. Your wallet stays with this account.

notify-ops-alert = { $severity ->
    [critical] CRITICAL
   *[warning] WARNING
  } { $code } from { $service }: { $summary }
notify-ops-alert-repeats = (repeated { $count } more times in the last window)
