// GE's error manager (metadef common/util/error_manager/error_manager.h) as op_host code uses it: report an error
// code with its arguments, and the REPORT_* macros. The twin keeps the host side silent: a report is stored and
// can be read back (GetErrorMessage), nothing is printed.
#ifndef HAWK_HOST_ERROR_MANAGER_H
#define HAWK_HOST_ERROR_MANAGER_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

class ErrorManager {
   public:
    static ErrorManager& GetInstance() {
        static ErrorManager instance;
        return instance;
    }
    int32_t ReportErrMessage(const std::string& errorCode, const std::map<std::string, std::string>& args) {
        std::string m = errorCode;
        for (const auto& [k, v] : args) m += " " + k + "=" + v;
        messages_.push_back(m);
        return 0;
    }
    int32_t ReportInterErrMessage(const std::string& errorCode, const std::string& msg) {
        messages_.push_back(errorCode + " " + msg);
        return 0;
    }
    void ATCReportErrMessage(const std::string& errorCode, const std::vector<std::string>& keys = {},
                             const std::vector<std::string>& values = {}) {
        std::map<std::string, std::string> args;
        for (size_t i = 0; i < keys.size() && i < values.size(); ++i) args[keys[i]] = values[i];
        ReportErrMessage(errorCode, args);
    }
    std::string GetErrorMessage() {
        std::string all;
        for (const auto& m : messages_) all += m + "\n";
        messages_.clear();
        return all;
    }

   private:
    std::vector<std::string> messages_;
};

#define REPORT_INNER_ERROR(code, ...) ((void)(code))
#define REPORT_CALL_ERROR(code, ...) ((void)(code))
#define REPORT_INPUT_ERROR(code, keys, values) ErrorManager::GetInstance().ATCReportErrMessage(code, keys, values)

#endif  // HAWK_HOST_ERROR_MANAGER_H
