# Платформенные тексты bot-gateway: кнопки, ограничение частоты и курсы валют.

platform-button-invalid = Эта кнопка недействительна. Пожалуйста, используйте кнопки последнего меню.
platform-button-already-done = Уже выполнено: эта кнопка уже была нажата, ничего не изменилось.
platform-button-in-progress = Это нажатие уже обрабатывается; ничего больше не сделано.
platform-button-outdated = Это меню устарело. Вот актуальное.
platform-button-expired = Срок действия этой кнопки истёк, ничего не сделано. Вот текущее меню; пожалуйста, начните с него заново.
platform-slow-down = Вы отправляете сообщения слишком часто. Подождите несколько секунд: до тех пор я не буду отвечать.
platform-fiat-value = ≈ { $value } { $fiat }
platform-fiat-value-stale = ≈ { $value } { $fiat } (курс { $minutes } мин. назад)
platform-fiat-value-unknown = Курс валют сейчас недоступен.
