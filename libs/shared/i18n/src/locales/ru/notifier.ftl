# Уведомления notifier. Переменные в { } подставляются после перевода как оформленные фрагменты
# (суммы жирным, адреса и хэши моноширинным); значение никогда не меняет разметку.

notify-welcome = Добро пожаловать в Strongbox! Ваш кошелёк открыт и готов к работе. Пополнение, баланс и вывод — в меню.

notify-deposit-detected = Поступает пополнение на { $amount }. Оно будет зачислено после { $confirmations ->
    [one] { $confirmations } подтверждения
   *[other] { $confirmations } подтверждений
  } в сети.
notify-deposit-confirmed = Пополнение на { $amount } подтверждено и зачислено на баланс.
notify-deposit-reverted = Пополнение на { $amount } отменено сетью и списано с баланса. Если есть вопросы, напишите в поддержку.

notify-withdrawal-held = Заявка на вывод { $amount } на адрес { $address } принята. Комиссия: { $fee }. Сообщим, когда средства будут отправлены.
notify-withdrawal-awaiting-approval = Вывод { $amount } на адрес { $address } на проверке. Оператор скоро её проведёт; сумма и комиссия пока зарезервированы.
notify-withdrawal-approved = Вывод { $amount } одобрен. Отправляем на адрес { $address }.
notify-withdrawal-completed = Вывод { $amount } на адрес { $address } выполнен. Транзакция: { $txHash }
notify-withdrawal-failed = Не удалось выполнить вывод { $amount } ({ $reason ->
    [reverted] сеть отклонила транзакцию
    [dropped] сеть не приняла транзакцию
   *[rejected] транзакцию не удалось отправить
  }). Сумма и комиссия вернулись на баланс.
notify-withdrawal-rejected = Вывод { $amount } отклонён. Причина: { $reason }. Сумма и комиссия вернулись на баланс.
notify-withdrawal-cancelled = Вывод { $amount } отменён. Сумма и комиссия вернулись на баланс.

notify-transfer-received = Вам перевели { $amount } от другого пользователя Strongbox.

notify-plan-accrued = Проценты по вкладу: +{ $amount } зачислено. Всего начислено по этому вкладу: { $total }.
notify-plan-matured = Срок вклада на { $principal } истёк. Сумма вклада вернулась на баланс; начислено процентов: { $total }.

notify-referral-reward = Реферальное вознаграждение: { $amount }. Приглашённый вами друг сделал первое пополнение.

notify-support-status = Обращение { $request } ({ $category ->
    [deposit] пополнение
    [withdrawal] вывод
    [account] аккаунт
   *[other] другое
  }): { $status ->
    [new] получено, скоро ответим
    [in_progress] оператор уже занимается им
    [resolved] решено
    [closed] закрыто
   *[cancelled] отменено
  }.

notify-node-down = Сеть временно недоступна. Ваши незавершённые пополнения и выводы в сохранности и продолжатся, когда она вернётся.
notify-node-up = Сеть снова доступна. Ваши операции продолжаются.

notify-recovery-approved-new = Восстановление доступа одобрено. Теперь кошелёк открывается из этого аккаунта Telegram.
notify-recovery-approved-previous = По вашему запросу кошелёк перенесён на другой аккаунт Telegram. Этот аккаунт больше не открывает его. Если это были не вы, срочно напишите в поддержку.
notify-recovery-rejected-new = В восстановлении доступа отказано.{ $reason ->
    [none] {""}
   *[given] {" "}Причина: { $reasonText }
  }
notify-recovery-rejected-previous = Кто-то запросил перенос вашего кошелька на другой аккаунт Telegram; запрос отклонён. Кошелёк остаётся за этим аккаунтом.

notify-ops-alert = { $severity ->
    [critical] CRITICAL
   *[warning] WARNING
  } { $code } от { $service }: { $summary }
notify-ops-alert-repeats = (повторилось ещё { $count } { $count ->
    [few] раза
   *[other] раз
  } за прошлое окно)
